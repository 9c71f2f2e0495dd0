"""Driving presses through nginx: curl sessions in parallel, or wrk for throughput.

Every answer counts where the reconciliation can see it: an acknowledged answer (2xx) is
credited to the session named by the cookie that answer sets (a session whose first request
was refused starts afresh with its next one, under a new id); a request with no answer at all
(the connection failed, a timeout) may still have been recorded, and is counted as in doubt.
"""

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import time

from . import cookie

# What the page's htmx sends with a press (static/index.html): an empty form post.
HEADERS = ("HX-Request: true", "Content-Type: application/x-www-form-urlencoded")
WRITE_OUT = "%{http_code} %{time_total} %header{set-cookie}\\n"


class DriveError(Exception):
    """The driver could not run (a tool is missing or too old)."""


class Tally:
    """What the clients saw: answers by status, latencies, and per session the acknowledged
    events (2xx) and the requests left without an answer."""

    def __init__(self):
        self.statuses = {}
        self.latencies = []
        self.acknowledged = {}
        self.unanswered = {}
        self.unanswered_unattributed = 0
        self.unattributed_2xx = 0
        self.countries = {}
        self.requests = 0

    def answer(self, status, latency):
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if latency is not None:
            self.latencies.append(latency)

    def acknowledge(self, session_id, count=1):
        self.acknowledged[session_id] = self.acknowledged.get(session_id, 0) + count

    def in_doubt(self, session_id, count=1):
        if session_id is None:
            self.unanswered_unattributed += count
        else:
            self.unanswered[session_id] = self.unanswered.get(session_id, 0) + count


def check_curl():
    try:
        output = subprocess.run(["curl", "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise DriveError("curl is not installed (scripts/install-deps installs it)") from None
    match = re.match(r"curl (\d+)\.(\d+)", output)
    if not match or (int(match.group(1)), int(match.group(2))) < (7, 84):
        raise DriveError("curl 7.84 or later is needed (its --write-out %header{})")


def _curl_config(app_url, address, presses, jar, max_time):
    """One session as a curl config (read from stdin, so nothing of it is in a command line):
    its own cookie jar, its own address, an enter then the presses on one kept connection."""
    lines = ['silent', 'data = ""', f'cookie = "{jar}"', f'cookie-jar = "{jar}"',
             f'max-time = {max_time}', f'write-out = "{WRITE_OUT}"',
             f'header = "X-Forwarded-For: {address}"']
    lines += [f'header = "{header}"' for header in HEADERS]
    lines += [f'url = "{app_url}/api/enter"', 'output = "/dev/null"']
    for _ in range(presses):
        lines += [f'url = "{app_url}/api/press"', 'output = "/dev/null"']
    return "\n".join(lines) + "\n"


def _one_session(app_url, address, presses, jar, max_time):
    """Runs one session; returns its transfers as (status, latency in s, Set-Cookie value)."""
    config = _curl_config(app_url, address, presses, jar, max_time)
    try:
        done = subprocess.run(["curl", "-K", "-"], input=config, capture_output=True, text=True,
                              timeout=max_time * (presses + 1) + 10)
        output = done.stdout
    except subprocess.TimeoutExpired as timeout:
        output = timeout.stdout.decode() if isinstance(timeout.stdout, bytes) else (timeout.stdout or "")
    transfers = []
    for line in output.splitlines():
        parts = line.split(" ", 2)
        if len(parts) < 2 or not parts[0].isdigit():
            continue
        try:
            latency = float(parts[1])
        except ValueError:
            latency = None
        transfers.append((int(parts[0]), latency, cookie.cookie_value(parts[2] if len(parts) > 2 else "")))
    # A transfer curl never reported (it was killed) has no answer either.
    transfers += [(0, None, None)] * max(0, presses + 1 - len(transfers))
    return transfers


def run_curl(app_url, addresses, presses, concurrency, workdir, tally, max_time=15):
    """Runs one session per address, `concurrency` at a time; returns each session's last
    cookie value (or None) in the order of `addresses`."""
    check_curl()
    jars = os.path.join(workdir, "jars")
    os.makedirs(jars, exist_ok=True)
    last_cookies = [None] * len(addresses)

    def session(index):
        return index, _one_session(app_url, addresses[index], presses, os.path.join(jars, f"{index}.txt"), max_time)

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for index, transfers in pool.map(session, range(len(addresses))):
            current = None
            for status, latency, value in transfers:
                tally.answer(status, latency)
                if 200 <= status < 300:
                    opened = cookie.decode(value)
                    if opened is None:
                        tally.unattributed_2xx += 1
                        continue
                    tally.acknowledge(opened.id)
                    tally.countries[opened.id] = opened.country_code
                    current = opened.id
                    last_cookies[index] = value
                elif status == 0:
                    tally.in_doubt(current)
    for name in os.listdir(jars):
        os.remove(os.path.join(jars, name))
    os.rmdir(jars)
    return last_cookies


def check_wrk():
    try:
        subprocess.run(["wrk", "--version"], capture_output=True)
    except OSError:
        raise DriveError("wrk is not installed (scripts/install-deps --test installs it)") from None


def run_wrk(app_url, sessions, threads, connections, press_seconds, workdir, tally, script):
    """Presses for `press_seconds` with wrk, each thread cycling through its share of the
    `sessions` ((cookie value, address) pairs) and counting its answers per session
    (loadtest/sessions.lua). Returns wrk's figures: latency percentiles (µs) and the press
    window measured by the script."""
    check_wrk()
    sessions_file = os.path.join(workdir, "wrk-sessions.txt")
    result_file = os.path.join(workdir, "wrk-result.json")
    # The addresses go to wrk through this file only, which is removed as soon as wrk is done.
    with open(os.open(sessions_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        for value, address in sessions:
            handle.write(f"{value}\t{address}\n")
    env = dict(os.environ, LOADTEST_SESSIONS=sessions_file, LOADTEST_RESULT=result_file,
               LOADTEST_THREADS=str(threads), LOADTEST_PRESS_SECONDS=str(press_seconds))
    # The script stops pressing after press_seconds and lets the presses in flight be answered
    # (health checks, which record nothing, keep wrk's connections open meanwhile), then stops
    # its thread; wrk's own duration is only the bound, so no press is cut off unanswered.
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{press_seconds + 5}s",
               "--timeout", "15s", "-s", script, f"{app_url}/api/press"]
    markers = [f"{result_file}.thread{index}" for index in range(threads)]
    try:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + press_seconds + 60
        while process.poll() is None and time.monotonic() < deadline:
            if all(os.path.exists(marker) for marker in markers):
                process.send_signal(signal.SIGINT)  # wrk stops early, reports, and calls done()
                break
            time.sleep(0.05)
        try:
            stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
    finally:
        os.remove(sessions_file)
        for marker in markers:
            if os.path.exists(marker):
                os.remove(marker)
    if process.returncode != 0 or not os.path.exists(result_file):
        raise DriveError(f"wrk failed (exit {process.returncode}): {stderr.strip() or stdout.strip()}")
    with open(result_file, encoding="utf-8") as handle:
        result = json.load(handle)
    os.remove(result_file)
    for status, count in result["statuses"].items():
        tally.statuses[int(status)] = tally.statuses.get(int(status), 0) + count
        tally.requests += count
    for session_id, count in result["acknowledged"].items():
        tally.acknowledge(session_id, count)
    tally.unattributed_2xx += result["unattributed_2xx"]
    return result


def percentile(values, fraction):
    """The nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def now_us():
    return time.time_ns() // 1000
