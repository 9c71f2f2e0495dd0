#!/usr/bin/python3
"""Per-panel latency of the stats page for bench/stats: sequential GETs through nginx, one
URL at a time, each timed from the request to the last byte of the body.

    bench/panels.py APP_URL LABEL REQUESTS SECONDS CPU_GROUPS URL...

Each URL gets one untimed request first (a connection, and the query's first run), then up
to REQUESTS timed requests, fewer when SECONDS run out (at least 3). One keep-alive
connection, as a browser polling the page has. Prints one line per URL:

    LABEL URL requests p50_ms p95_ms max_ms non200 notices bytes cpu_ms_per_request

notices: answers that carry the page's "unavailable" notice (`class="notice"`: a store did
not answer in time, or is down) instead of the panel's data; their latency is the
timeout's, not the query's.

CPU_GROUPS is "name=PID,PID;name=PID": processes whose CPU (user+sys, with their threads
and children: each PID stands for itself, its children that exited (cutime/cstime) and
its live direct children, looked up at every URL) is charged to the requests, e.g. the
stats pool, PostgreSQL and ClickHouse.
The session cookie and client address come from BENCH_COOKIE and BENCH_XFF, as for the
press (the "your session" and "your country" panels use them).
"""
import http.client
import os
import sys
import time
import urllib.parse

TICKS = os.sysconf("SC_CLK_TCK")


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(int(entry))
    return found


def ticks(pids, roots):
    """utime+stime of pids, plus the reaped children's (cutime+cstime) of the roots: a
    PostgreSQL backend that exits between two readings moves from one to the other."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if pid in roots:
                total += int(fields[13]) + int(fields[14])
        except OSError:
            pass
    return total


def group_pids(groups):
    pids = []
    for roots in groups.values():
        for root in roots:
            pids.append(root)
            pids.extend(children(root))
    return pids


def percentile(sorted_values, fraction):
    """Nearest-rank percentile."""
    index = max(0, min(len(sorted_values) - 1, int(-(-fraction * len(sorted_values) // 1)) - 1))
    return sorted_values[index]


def main():
    app_url, label, requests, seconds, cpu_groups = sys.argv[1:6]
    urls = sys.argv[6:]
    requests, seconds = int(requests), float(seconds)
    groups = {}
    for part in filter(None, cpu_groups.split(";")):
        name, _, pids = part.partition("=")
        groups[name] = [int(p) for p in pids.split(",") if p]
    parsed = urllib.parse.urlsplit(app_url)
    headers = {"HX-Request": "true", "X-Forwarded-For": os.environ.get("BENCH_XFF", "81.2.69.160")}
    if os.environ.get("BENCH_COOKIE"):
        headers["Cookie"] = os.environ["BENCH_COOKIE"]
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)

    def get(path):
        nonlocal connection
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
            return 0, 0, False
        return response.status, len(body), b'class="notice"' in body

    roots = {root for group in groups.values() for root in group}
    for path in urls:
        # Untimed: the connection, and the query's first run; when that is longer than the
        # pool's query timeout the answer is the notice, so ask again until the panel has
        # its data (30 s at most): what is measured is the panel's steady state.
        warm_until = time.monotonic() + 30
        while get(path)[2] and time.monotonic() < warm_until:
            time.sleep(0.5)
        pids = group_pids(groups)
        cpu0 = ticks(pids, roots)
        times, non200, notices, size = [], 0, 0, 0
        deadline = time.monotonic() + seconds
        while len(times) < requests and (time.monotonic() < deadline or len(times) < 3):
            start = time.perf_counter()
            status, size, notice = get(path)
            times.append((time.perf_counter() - start) * 1000)
            non200 += status != 200
            notices += notice
        cpu = ticks(pids, roots) - cpu0
        times.sort()
        print(f"{label} {path} {len(times)} {percentile(times, 0.5):.2f} {percentile(times, 0.95):.2f} "
              f"{times[-1]:.2f} {non200} {notices} {size} {1000 * cpu / TICKS / len(times):.2f}", flush=True)


if __name__ == "__main__":
    main()
