"""The soak: a steady, bounded load through nginx for N minutes while every process of the
stack is sampled from /proc, then a judgement of growth per process and the load's own
reconciliation. `scripts/soak --help`; README.md, "Soak".

Why these bounds (a leak grows with time or requests; a warm-up does not):
- The first interval is warm-up: caches, pools, lazily started threads and connections fill
  while the load begins, and its growth is not judged.
- Growth is the smaller of the last two samples minus the highest sample of the first half
  (after the warm-up). Pools fluctuate: a worker's descriptors go up and down with the
  connections nginx keeps to it (measured: 18 to 25 and back within a minute), and a
  one-off spike in the very last sample (a merge in ClickHouse) is no leak. A leak grows
  steadily, so it shows in the second half above anything the first half reached, in both
  of the last two samples.
- Memory is judged on RssAnon (private anonymous memory, what malloc hands out), and RSS is
  printed beside it: RSS also counts shared pages a process merely touches (PostgreSQL's
  shared buffers, mapped files), which grow up to a fixed size by design and are no leak.
- The local broker (librdkafka's mock cluster) keeps every message in memory: its memory
  grows with the log by design. It gets the same base bound plus an allowance per message
  produced during the soak (BROKER_BYTES_PER_MESSAGE, every topic counted), so a leak
  beyond what the log explains still fails.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from . import stores
from .stack import StackError, default_env_file, read_stack_env, require_loopback, require_no_rate_limit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIB = 1024 * 1024
FIGURES = ("rss", "anon", "threads", "fds", "sockets")

# The stack's parts, by pid file in $RUN_DIR/pids; each part's processes are its pid and all
# of its descendants (nginx's workers, the pools' workers, PostgreSQL's backends).
PARTS = ("nginx", "workers", "stats", "registry", "sink", "enricher", "broker", "postgres", "clickhouse")


class Bound:
    """How much one process may grow from the baseline: memory by max(mib, percent of the
    baseline) (+ per_message × messages, for the broker), descriptors and threads by a
    constant."""

    def __init__(self, mib, percent, fds, threads, sockets, per_message=0):
        self.mib, self.percent, self.fds, self.threads = mib, percent, fds, threads
        self.sockets, self.per_message = sockets, per_message

    def socket_limit(self, threads):
        """Sockets may grow by the process's threads (a pool thread holds one connection
        at a time) when the bound says "threads", else by the constant."""
        return max(4, threads) if self.sockets == "threads" else self.sockets

    def memory(self, baseline_bytes, messages):
        return max(self.mib * MIB, baseline_bytes * self.percent / 100) + self.per_message * messages

    def describe(self):
        extra = f" + {self.per_message} B per message produced" if self.per_message else ""
        sockets = "its threads (one connection each)" if self.sockets == "threads" else self.sockets
        return (f"RssAnon +max({self.mib} MiB, {self.percent:g} %){extra}, other fds +{self.fds}, "
                f"sockets +{sockets}, threads +{self.threads}")


# The mock broker keeps each message in a copy of the batch it arrived in, plus bookkeeping:
# an Avro press is about 120 bytes framed, an enriched JSON one about 450; 2 KiB per message
# is several times what the log explains, and far below what a per-message leak of a buffer
# would add on top of it.
BROKER_BYTES_PER_MESSAGE = 2048

# Our processes and nginx have fixed pools (static pm, fixed threads), so descriptors and
# threads may not grow beyond a lazily opened connection or helper thread. PostgreSQL is
# single-threaded per process; its backends' private memory may grow with plan and catalog
# caches. ClickHouse 18.16 grows thread pools on demand (background merges, the Kafka engine)
# and opens part files while it merges.
BOUNDS = {
    "ours": Bound(mib=8, percent=10, fds=4, threads=2, sockets="threads"),
    "nginx": Bound(mib=8, percent=10, fds=4, threads=0, sockets=64),
    "broker": Bound(mib=8, percent=10, fds=4, threads=2, sockets=4, per_message=BROKER_BYTES_PER_MESSAGE),
    "postgres": Bound(mib=16, percent=20, fds=8, threads=0, sockets=4),
    "clickhouse": Bound(mib=64, percent=25, fds=64, threads=16, sockets=16),
    "control": Bound(mib=8, percent=10, fds=4, threads=2, sockets=4),
}


def bound_for(part):
    if part in ("nginx", "broker", "postgres", "clickhouse", "control"):
        return BOUNDS[part]
    return BOUNDS["ours"]


def _children():
    """Every process's children, from /proc/*/stat (ppid is field 4, after the comm in
    parentheses, which may itself contain spaces and parentheses)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def _tree(pid, children):
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _label(pid):
    """A short name for a process: its command line's first words, ports and addresses cut
    (PostgreSQL puts its peer's address and port in a backend's title)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            words = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").split()
    except OSError:
        return "?"
    if not words:
        return "?"
    if words[0].startswith("postgres:"):
        return " ".join(w for w in words[:3] if "(" not in w)
    name = os.path.basename(words[0])
    if name.startswith("nginx"):
        return " ".join(words[:3]).replace("nginx: ", "nginx ")
    return name


def sample_process(pid):
    """RSS, RssAnon, threads, descriptors that are not sockets, and sockets of one process
    from /proc, or None when it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "Threads"):
                    values[key] = int(value.split()[0])
        fds = os.listdir(f"/proc/{pid}/fd")
        sockets = 0
        for fd in fds:
            try:
                sockets += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
            except OSError:
                pass  # closed meanwhile
    except (OSError, ValueError):
        return None
    return {"rss": values.get("VmRSS", 0) * 1024, "anon": values.get("RssAnon", 0) * 1024,
            "threads": values.get("Threads", 0), "fds": len(fds) - sockets, "sockets": sockets}


def sample_stack(run_dir, extra=None):
    """One sample of every process of every part: {key: {part, pid, label, rss, anon,
    threads, fds}}. A part whose pid file is missing or dead is an error: the soak measures
    the whole stack or nothing."""
    children = _children()
    result, missing = {}, []
    roots = []
    for part in PARTS:
        try:
            with open(os.path.join(run_dir, "pids", part + ".pid"), encoding="utf-8") as handle:
                roots.append((part, int(handle.read().split()[0])))
        except (OSError, ValueError, IndexError):
            missing.append(part)
    for part, pid in (extra or {}).items():
        roots.append((part, pid))
    for part, root in roots:
        pids = _tree(root, children)
        found = False
        for pid in pids:
            figures = sample_process(pid)
            if figures is None:
                continue
            found = True
            result[f"{part}/{pid}"] = dict(figures, part=part, pid=pid, label=_label(pid))
        if not found:
            missing.append(part)
    return result, missing


def judge(series, messages=0):
    """The growth verdict of every process over a soak's samples.

    `series`: {key: {"part": str, "label": str, "samples": [figures or None, ...]}}, one
    entry per sample time (index 0 before the load, 1 the end of the warm-up, the rest after).
    Growth: the smaller of the last two samples minus the highest of the first half.
    `messages`: the messages produced to Kafka during the soak (the broker's allowance).
    Returns (rows, failures): rows are dicts for the table; failures are sentences."""
    rows, failures = [], []
    for key in sorted(series, key=lambda k: (PARTS.index(series[k]["part"]) if series[k]["part"] in PARTS
                                             else len(PARTS), k)):
        entry = series[key]
        samples = entry["samples"]
        part = entry["part"]
        present = [s for s in samples if s is not None]
        row = {"key": key, "part": part, "label": entry["label"], "judged": False, "verdict": ""}
        if present:
            row.update(first=present[0], last=present[-1],
                       max={k: max(s[k] for s in present) for k in FIGURES})
        rows.append(row)
        if len(samples) < 3:
            failures.append(f"{key}: fewer than 3 samples; nothing can be judged")
            continue
        half = max(1, (len(samples) - 1) // 2)
        first_half, tail = samples[1:1 + half], samples[-2:]
        if any(s is None for s in first_half + tail):
            # PostgreSQL's backends and ClickHouse's helpers come and go with connections;
            # a process of ours, nginx's or the broker's that comes or goes was replaced.
            if part in ("postgres", "clickhouse"):
                row["verdict"] = "came or went (not judged)"
            else:
                row["verdict"] = "REPLACED during the soak"
                failures.append(f"{key} ({entry['label']}): started or ended during the soak (a restart?)")
            continue
        bound = bound_for(part)
        baseline = {k: max(s[k] for s in first_half) for k in FIGURES}
        growth = {k: min(s[k] for s in tail) - baseline[k] for k in FIGURES}
        row.update(judged=True, baseline=baseline, growth=growth)
        limit = bound.memory(baseline["anon"], messages if part == "broker" else 0)
        problems = []
        if growth["anon"] > limit:
            problems.append(f"RssAnon grew {growth['anon'] / MIB:.1f} MiB (bound {limit / MIB:.1f} MiB)")
        if growth["fds"] > bound.fds:
            problems.append(f"descriptors (not sockets) grew by {growth['fds']} (bound {bound.fds})")
        socket_limit = bound.socket_limit(baseline["threads"])
        if growth["sockets"] > socket_limit:
            problems.append(f"sockets grew by {growth['sockets']} (bound {socket_limit})")
        if growth["threads"] > bound.threads:
            problems.append(f"threads grew by {growth['threads']} (bound {bound.threads})")
        row["verdict"] = "; ".join(problems) if problems else "ok"
        for problem in problems:
            failures.append(f"{key} ({entry['label']}): {problem}")
    return rows, failures


def table(rows):
    """The per-process table: first, last, max and growth (from the baseline) of RSS,
    RssAnon, descriptors and threads."""
    lines = [f"{'process':<34} {'RSS MiB first/last/max':>24} {'growth':>7} {'anon growth':>11} "
             f"{'fds f/l/max':>12} {'+':>3} {'sock f/l/max':>12} {'+':>3} {'thr f/l/max':>12} {'+':>3}  verdict"]

    def mib(value):
        return f"{value / MIB:.1f}"

    for row in rows:
        name = f"{row['key'].split('/')[0]} {row['label']}"[:26] + f" {row['key'].split('/')[1]}"
        if "first" not in row:
            lines.append(f"{name:<34} (never sampled)  {row['verdict']}")
            continue
        f, l, m = row["first"], row["last"], row["max"]
        g = row.get("growth")
        lines.append(
            f"{name:<34} {mib(f['rss']) + '/' + mib(l['rss']) + '/' + mib(m['rss']):>24} "
            f"{(mib(g['rss']) if g else '-'):>7} {(mib(g['anon']) if g else '-'):>11} "
            f"{str(f['fds']) + '/' + str(l['fds']) + '/' + str(m['fds']):>12} "
            f"{(str(g['fds']) if g else '-'):>3} "
            f"{str(f['sockets']) + '/' + str(l['sockets']) + '/' + str(m['sockets']):>12} "
            f"{(str(g['sockets']) if g else '-'):>3} "
            f"{str(f['threads']) + '/' + str(l['threads']) + '/' + str(m['threads']):>12} "
            f"{(str(g['threads']) if g else '-'):>3}  {row['verdict']}")
    return lines


def _planted_leak():
    """A process the sampler sees as part "control": it grows its private memory by 4 MiB
    and opens one descriptor every few seconds, as a leak would. --plant-leak starts it so
    the soak's judgement is seen failing on a real process sampled from /proc."""
    code = ("import os, time\nheld = []\nwhile True:\n"
            "    held.append(bytearray(os.urandom(4 * 1024 * 1024)))\n"
            "    held.append(open('/dev/null'))\n    time.sleep(3)\n")
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL)


def self_test():
    """The judgement on made-up series: a leak in each resource fails, a steady process and
    the broker's log growth within its allowance pass, a replaced worker fails. Returns the
    failures of the self-test itself (empty when the judgement behaves)."""
    def fig(rss_mib, fds, threads, sockets=3):
        return {"rss": rss_mib * MIB, "anon": rss_mib * MIB, "fds": fds, "threads": threads, "sockets": sockets}

    def one(part, figures, messages=0):
        return judge({f"{part}/1": {"part": part, "label": part, "samples": figures}}, messages)[1]

    steady = [fig(20, 10, 4), fig(30, 12, 6), fig(31, 12, 6), fig(30, 12, 6), fig(31, 12, 6)]
    cases = [
        ("a steady worker passes", one("workers", steady), False),
        ("warm-up growth in the first interval is not judged", one("workers", [fig(5, 3, 1)] + steady[1:]), False),
        ("memory growing 20 MiB fails", one("workers", steady[:3] + [fig(45, 12, 6), fig(51, 12, 6)]), True),
        ("a pool's descriptors going up and down pass", one("workers", [fig(20, 10, 4), fig(30, 18, 6), fig(30, 25, 6),
                                                                   fig(30, 18, 6), fig(30, 25, 6)]), False),
        ("a worker's sockets within its threads pass", one("workers", steady[:3] + [fig(30, 12, 6, 9), fig(30, 12, 6, 9)]), False),
        ("a worker's sockets growing beyond its threads fail",
         one("workers", steady[:3] + [fig(30, 12, 6, 10), fig(30, 12, 6, 11)]), True),
        ("one spike in the last sample alone passes", one("workers", steady[:4] + [fig(90, 40, 20)]), False),
        ("descriptors growing by 5 fail", one("sink", steady[:3] + [fig(30, 17, 6), fig(30, 18, 6)]), True),
        ("threads growing by 3 fail", one("stats", steady[:3] + [fig(30, 12, 9), fig(30, 12, 10)]), True),
        ("nginx may not add a thread", one("nginx", steady[:3] + [fig(30, 12, 7), fig(30, 12, 7)]), True),
        ("a worker replaced fails", one("workers", steady[:3] + [None, None]), True),
        ("a PostgreSQL backend that came and went is not judged", one("postgres", [None, None] + steady[2:]), False),
        ("the broker's 100 MiB for 60k messages is its log", one("broker", steady[:3] + [fig(120, 12, 6), fig(130, 12, 6)], 60000), False),
        ("the broker's 100 MiB for 1k messages is a leak", one("broker", steady[:3] + [fig(120, 12, 6), fig(130, 12, 6)], 1000), True),
        ("too few samples fail", one("workers", steady[:2]), True),
    ]
    problems = []
    for name, failures, should_fail in cases:
        if bool(failures) != should_fail:
            problems.append(f"{name}: judged {'failing' if failures else 'passing'} ({failures})")
        print(f"  {'ok' if bool(failures) == should_fail else 'FAILED'}: {name}")
    return problems


def _kafka_messages(bootstrap):
    """The number of messages in every topic the stack writes (their end offsets summed)."""
    total = 0
    for topic in (stores.TOPIC, "button_presses_enriched", "button_presses_enriched_dead_letters"):
        total += sum(offset or 0 for offset in stores.kafka_end_offsets(bootstrap, topic).values())
    return total


def parser():
    p = argparse.ArgumentParser(prog="scripts/soak", description=(
        "A steady load through nginx for --minutes while RSS, descriptors and threads of every "
        "process of the stack are sampled; fails when one grows beyond its bound (printed), or "
        "when the load does not reconcile. Needs the stack up with BUTTON_RATE_LIMIT=off."))
    p.add_argument("--minutes", type=float, default=10.0, help="how long to press (default 10; 1 to 30)")
    p.add_argument("--rate", type=float, default=100.0,
                   help="presses per second, at most (default 100; 1 to 500): each connection waits "
                        "connections × 1000 / rate ms before each press")
    p.add_argument("--connections", type=int, default=8, help="wrk's connections (default 8; 1 to 64)")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between samples (default 60, or a quarter of the run when shorter than 4 minutes)")
    p.add_argument("--plant-leak", action="store_true",
                   help="control: also sample a process that leaks memory and descriptors; the soak must fail")
    p.add_argument("--self-test", action="store_true", help="check the growth judgement on made-up series and exit")
    p.add_argument("--stack-env", metavar="FILE", help="the stack's addresses (default $BUTTON_STACK_ENV, else .run/stack.env)")
    p.add_argument("--out", metavar="DIR", help="where the soak's files go (default $RUN_DIR/soak/<time>)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    if args.self_test:
        print("soak self-test (the growth judgement on made-up series):")
        problems = self_test()
        return 1 if problems else 0
    if not 1 <= args.minutes <= 30 or not 1 <= args.rate <= 500 or not 1 <= args.connections <= 64:
        print("soak: --minutes 1-30, --rate 1-500, --connections 1-64", file=sys.stderr)
        return 2
    try:
        stack = read_stack_env(args.stack_env or default_env_file(ROOT))
        require_loopback(stack["APP_URL"])
        require_no_rate_limit(stack)
    except StackError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2
    run_dir = stack.get("RUN_DIR") or os.path.join(ROOT, ".run")
    out = args.out or os.path.join(run_dir, "soak", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    os.makedirs(out, exist_ok=True)
    seconds = args.minutes * 60
    interval = args.interval or (60.0 if seconds >= 240 else seconds / 4)
    delay_ms = int(round(args.connections * 1000 / args.rate))
    env = dict(os.environ, BUTTON_STACK_ENV=args.stack_env or os.environ.get("BUTTON_STACK_ENV") or default_env_file(ROOT),
               LOADTEST_PRESS_DELAY_MS=str(delay_ms), PYTHONDONTWRITEBYTECODE="1")
    bootstrap = stack["KAFKA_BOOTSTRAP"]
    try:
        messages_before = _kafka_messages(bootstrap)
    except stores.StoreError as error:
        print(f"soak: Kafka: {error}", file=sys.stderr)
        return 1
    extra, leak = {}, None
    if args.plant_leak:
        leak = _planted_leak()
        extra["control"] = leak.pid
    print(f"soak: {args.minutes:g} min through nginx at {stack['APP_URL']}, at most {args.rate:g} presses/s "
          f"({args.connections} connections, {delay_ms} ms before each press), a sample of every process "
          f"every {interval:g} s; files in {out}", flush=True)
    series = {}

    def record(index):
        snapshot, missing = sample_stack(run_dir, extra)
        for key, figures in snapshot.items():
            entry = series.setdefault(key, {"part": figures["part"], "label": figures["label"], "samples": []})
            entry["samples"].extend([None] * (index - len(entry["samples"])))
            entry["samples"].append({k: figures[k] for k in FIGURES})
        return missing

    missing = record(0)
    if missing:
        print(f"soak: parts not running: {', '.join(missing)} (start the whole stack)", file=sys.stderr)
        if leak:
            leak.kill()
        return 1
    load_log = open(os.path.join(out, "load.log"), "w", encoding="utf-8")
    load = subprocess.Popen([os.path.join(ROOT, "loadtest", "run"), "--wrk", "--duration", f"{int(seconds)}s",
                             "--connections", str(args.connections), "--threads", str(min(2, args.connections)),
                             "--sessions", str(max(args.connections, 16)), "--settle", "10", "--timeout", "300",
                             "--out", os.path.join(out, "load")],
                            stdout=load_log, stderr=subprocess.STDOUT, env=env)
    started = time.monotonic()
    samples_wanted = int(round(seconds / interval))
    gone = []
    try:
        for index in range(1, samples_wanted + 1):
            time.sleep(max(0.0, started + index * interval - time.monotonic()))
            missing = record(index)
            if missing:
                gone.append(f"at sample {index}: {', '.join(missing)} not running")
            done = int(time.monotonic() - started)
            print(f"  sample {index}/{samples_wanted} at {done} s: {len(series)} processes", flush=True)
        code = load.wait()
    except KeyboardInterrupt:
        load.send_signal(signal.SIGINT)
        load.wait()
        raise
    finally:
        if leak:
            leak.kill()
            leak.wait()
        load_log.close()
    for entry in series.values():
        entry["samples"].extend([None] * (samples_wanted + 1 - len(entry["samples"])))
    try:
        messages = _kafka_messages(bootstrap) - messages_before
    except stores.StoreError as error:
        print(f"soak: Kafka: {error}", file=sys.stderr)
        return 1
    rows, failures = judge(series, messages)
    failures = [f"stack: {line}" for line in gone] + failures
    with open(os.path.join(out, "samples.json"), "w", encoding="utf-8") as handle:
        json.dump({"interval_s": interval, "minutes": args.minutes, "messages": messages, "series": series},
                  handle, indent=1, sort_keys=True)
    print()
    print(f"bounds: the smaller of the last two samples over the highest of the first half (after {interval:g} s of warm-up):")
    for name in ("ours", "nginx", "broker", "postgres", "clickhouse"):
        print(f"  {name:<10} {BOUNDS[name].describe()}")
    print(f"  ({messages} messages produced to Kafka during the soak)")
    print()
    lines = table(rows)
    for line in lines:
        print(line)
    with open(os.path.join(out, "table.txt"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print()
    print("the load and its reconciliation (loadtest/run --wrk):")
    with open(os.path.join(out, "load.log"), encoding="utf-8") as handle:
        for line in handle:
            print("  | " + line.rstrip())
    if code != 0:
        failures.append(f"the load test exited {code} (its reconciliation above)")
    if failures:
        print(f"soak FAILED ({len(failures)}):")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print(f"soak passed: {len(rows)} processes within their bounds, the load reconciled")
    return 0
