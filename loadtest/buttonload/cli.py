"""loadtest/run and loadtest/reconcile: options, bounds, the run, the summary."""

import argparse
import json
import os
import re
import sys
import time

from . import drive, places, reconcile, stores
from .stack import StackError, default_env_file, read_stack_env, require_loopback, require_no_rate_limit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LUA = os.path.join(ROOT, "loadtest", "sessions.lua")

# Bounds: a load test of the local stack, never a flood by typo.
MAX_SESSIONS = 5000
MAX_PRESSES = 1000
MAX_REQUESTS = 200_000
MAX_CONCURRENCY = 256
MAX_CONNECTIONS = 1024
MAX_THREADS = 16
MAX_DURATION = 1800  # scripts/soak presses for up to 30 minutes


def _bounded(name, low, high):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}, not {value}")
        return value
    return parse


def _seconds(name, low, high):
    def parse(text):
        match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)?", text.strip())
        if not match:
            raise argparse.ArgumentTypeError(f"{name} must be a duration like 20s or 2m, not {text!r}")
        value = float(match.group(1)) * {"m": 60, "h": 3600}.get(match.group(2), 1)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {low:g} s and {high:g} s, not {value:g} s")
        return value
    return parse


def _reconcile_options(parser):
    parser.add_argument("--timeout", type=_seconds("--timeout", 5, 900), default=120.0,
                        help="longest wait for the pipeline to drain (default 120s)")
    parser.add_argument("--settle", type=_seconds("--settle", 1, 120), default=10.0,
                        help="a store whose counts stop changing this long is taken as it is (default 10s: "
                             "longer than ClickHouse's Kafka engine takes to flush an idle stream)")
    parser.add_argument("--stack-env", metavar="FILE", help="the stack's addresses (default $BUTTON_STACK_ENV, "
                        "else .run/stack.env)")
    parser.add_argument("--stores", type=_stores, default=None, metavar="LIST",
                        help="the stores to reconcile, comma-separated from kafka,postgres,clickhouse (default all; "
                             "postgres,clickhouse for a run whose Kafka log is gone, the local broker restarted empty)")


def _stores(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = [name for name, _ in reconcile.STORES]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"--stores takes a comma-separated list of {', '.join(known)}, "
                                         f"not {text!r}")
    return names


def run_parser():
    parser = argparse.ArgumentParser(
        prog="loadtest/run",
        description="Load-test the local stack through nginx, then reconcile: per session, 2xx answers == events "
                    "in Kafka == rows in PostgreSQL == rows in ClickHouse (FINAL). Exits 1 on any difference.")
    parser.add_argument("--sessions", type=_bounded("--sessions", 1, MAX_SESSIONS),
                        help="sessions, each with its own cookie jar and client address (default 50; with --wrk, "
                             "the number of connections)")
    parser.add_argument("--presses", type=_bounded("--presses", 0, MAX_PRESSES), default=20,
                        help="presses per session after its enter (curl mode; default 20)")
    parser.add_argument("--concurrency", type=_bounded("--concurrency", 1, MAX_CONCURRENCY), default=16,
                        help="sessions running at once (curl mode; default 16)")
    parser.add_argument("--wrk", action="store_true", help="throughput mode: wrk presses for --duration")
    parser.add_argument("--duration", type=_seconds("--duration", 1, MAX_DURATION), default=20.0,
                        help="how long wrk presses (default 20s)")
    parser.add_argument("--connections", type=_bounded("--connections", 1, MAX_CONNECTIONS), default=32,
                        help="wrk's connections (default 32)")
    parser.add_argument("--threads", type=_bounded("--threads", 1, MAX_THREADS), default=2,
                        help="wrk's threads (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sessions' addresses (default 1)")
    parser.add_argument("--out", metavar="DIR", help="where the run's files go (default "
                        "<stack run dir>/loadtest/<time>-<mode>)")
    _reconcile_options(parser)
    return parser


def reconcile_parser():
    parser = argparse.ArgumentParser(
        prog="loadtest/reconcile",
        description="Reconcile a load test's recorded expectations (expectations.json of loadtest/run) with Kafka, "
                    "PostgreSQL and ClickHouse again. Exits 1 on any difference.")
    parser.add_argument("expectations", help="a run's expectations.json")
    parser.add_argument("--out", metavar="FILE", help="also write the result as JSON here")
    _reconcile_options(parser)
    return parser


def _fail(message, code=2):
    print(f"loadtest: {message}", file=sys.stderr)
    return code


def _stack(path):
    stack = read_stack_env(path or default_env_file(ROOT))
    require_loopback(stack["APP_URL"])
    require_no_rate_limit(stack)
    return stack


def _ms(seconds):
    return "n/a" if seconds is None else f"{seconds * 1000:.1f} ms"


def _statuses(statuses):
    return ", ".join(f"{'no answer' if status == 0 else status} × {count}" for status, count in sorted(statuses.items()))


def main_run(argv=None):
    parser = run_parser()
    args = parser.parse_args(argv)
    if args.wrk:
        sessions = args.sessions or args.connections
        if args.threads > args.connections:
            return _fail(f"--threads ({args.threads}) cannot exceed --connections ({args.connections})")
        if sessions < args.threads:
            return _fail(f"--sessions ({sessions}) must be at least --threads ({args.threads}): "
                         "each thread presses for its own sessions")
    else:
        sessions = args.sessions or 50
        if sessions * (args.presses + 1) > MAX_REQUESTS:
            return _fail(f"--sessions × (--presses + 1) is {sessions * (args.presses + 1)}, more than {MAX_REQUESTS} "
                         "requests; use --wrk for long runs")
    try:
        stack = _stack(args.stack_env)
    except StackError as error:
        return _fail(str(error))
    mode = "wrk" if args.wrk else "curl"
    out = args.out or os.path.join(stack.get("RUN_DIR") or os.path.join(ROOT, ".run"), "loadtest",
                                   time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + mode)
    os.makedirs(out, exist_ok=True)
    app = stack["APP_URL"].rstrip("/")
    try:
        start_offsets = stores.kafka_end_offsets(stack["KAFKA_BOOTSTRAP"])
    except stores.StoreError as error:
        return _fail(f"Kafka: {error}", 1)

    addresses = places.spread(sessions, args.seed)
    tally = drive.Tally()
    summary = []
    started = drive.now_us()
    try:
        if args.wrk:
            cookies = drive.run_curl(app, addresses, 0, min(sessions, MAX_CONCURRENCY), out, tally)
            entered = [(value, address) for value, address in zip(cookies, addresses) if value]
            summary.append(f"load test (wrk) through nginx at {app}: {len(entered)} of {sessions} sessions entered "
                           f"with curl ({_statuses(tally.statuses)}), then wrk presses for {args.duration:g} s, "
                           f"{args.threads} threads, {args.connections} connections")
            if len(entered) < args.threads:
                return _fail("too few sessions could enter to give every wrk thread one", 1)
            press_tally = drive.Tally()
            figures = drive.run_wrk(app, entered, args.threads, args.connections, int(round(args.duration)), out,
                                    press_tally, LUA)
            for session_id, count in press_tally.acknowledged.items():
                tally.acknowledge(session_id, count)
            tally.unattributed_2xx += press_tally.unattributed_2xx
            for status, count in press_tally.statuses.items():
                tally.statuses[status] = tally.statuses.get(status, 0) + count
            tally.requests += press_tally.requests
            window = max(1e-6, (figures["last_answer_us"] - figures["first_send_us"]) / 1e6)
            latency = figures["latency_us"]
            summary.append(f"  presses {press_tally.requests} in {window:.2f} s: {press_tally.requests / window:.0f} rps;"
                           f" latency p50 {latency['p50'] / 1000:.2f} ms, p90 {latency['p90'] / 1000:.2f} ms, "
                           f"p99 {latency['p99'] / 1000:.2f} ms, max {latency['max'] / 1000:.1f} ms (wrk)")
            summary.append(f"  press answers: {_statuses(press_tally.statuses)}")
            if figures["unanswered"]:
                summary.append(f"  presses sent and not answered when wrk stopped: {figures['unanswered']}")
            errors = {key: value for key, value in figures["errors"].items() if value}
            if errors:
                summary.append(f"  wrk socket errors: {errors}")
            last_answer = figures["last_answer_us"] or drive.now_us()
            rps = press_tally.requests / window
            p50, p99 = latency["p50"] / 1e6, latency["p99"] / 1e6
        else:
            drive.run_curl(app, addresses, args.presses, args.concurrency, out, tally)
            last_answer = drive.now_us()
            elapsed = max(1e-6, (last_answer - started) / 1e6)
            p50, p99 = drive.percentile(tally.latencies, 0.5), drive.percentile(tally.latencies, 0.99)
            rps = tally.requests / elapsed
            summary.append(f"load test (curl) through nginx at {app}: {sessions} sessions × (enter + {args.presses} "
                           f"presses), {args.concurrency} at a time")
            summary.append(f"  requests {tally.requests} in {elapsed:.2f} s: {rps:.0f} rps; latency p50 {_ms(p50)}, "
                           f"p99 {_ms(p99)}, max {_ms(max(tally.latencies, default=None))}")
        summary.append(f"  answers by status: {_statuses(tally.statuses)}")
    except drive.DriveError as error:
        return _fail(str(error), 1)
    countries = set(tally.countries.values())
    if countries:
        summary.append(f"  sessions placed in {len(countries)} countries (the cookies' country codes)")

    expectations = {
        "version": 1, "mode": mode, "app_url": app, "topic": stores.TOPIC,
        "kafka_start_offsets": start_offsets, "started_at_us": started, "last_answer_at_us": last_answer,
        "requests": tally.requests, "statuses": {str(status): count for status, count in tally.statuses.items()},
        "rps": round(rps, 1), "latency_p50_s": p50, "latency_p99_s": p99,
        "unattributed_2xx": tally.unattributed_2xx, "unanswered_unattributed": tally.unanswered_unattributed,
        "sessions": {session: {"acknowledged": count, "unanswered": tally.unanswered.get(session, 0)}
                     for session, count in tally.acknowledged.items()},
    }
    for session, count in tally.unanswered.items():
        expectations["sessions"].setdefault(session, {"acknowledged": 0, "unanswered": count})
    expectations_file = os.path.join(out, "expectations.json")
    with open(expectations_file, "w", encoding="utf-8") as handle:
        json.dump(expectations, handle, indent=1, sort_keys=True)
    for line in summary:
        print(line, flush=True)
    if not tally.acknowledged:
        return _fail(f"no request was acknowledged ({_statuses(tally.statuses)}): is the stack up at {app}?", 1)
    print(f"  expectations written to {expectations_file}; waiting for the pipeline to drain", flush=True)
    code = _reconcile_and_report(expectations, stack, args, os.path.join(out, "reconciliation.json"), summary)
    with open(os.path.join(out, "summary.txt"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(summary) + "\n")
    return code


def _reconcile_and_report(expectations, stack, args, result_file, lines):
    try:
        result = reconcile.reconcile(expectations, stack, timeout=args.timeout, settle=args.settle,
                                     only=args.stores)
    except stores.StoreError as error:
        message = f"reconciliation impossible: {error}"
        lines.append(message)
        return _fail(message, 1)
    if result_file:
        with open(result_file, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=1, sort_keys=True)
    report = reconcile.report(result)
    lines.extend(report)
    for line in report:
        print(line, flush=True)
    return 0 if result["ok"] else 1


def main_reconcile(argv=None):
    args = reconcile_parser().parse_args(argv)
    try:
        with open(args.expectations, encoding="utf-8") as handle:
            expectations = json.load(handle)
    except (OSError, ValueError) as error:
        return _fail(f"cannot read {args.expectations}: {error}")
    if expectations.get("version") != 1 or "sessions" not in expectations:
        return _fail(f"{args.expectations} is not a load test's expectations file")
    try:
        stack = read_stack_env(args.stack_env or default_env_file(ROOT))
    except StackError as error:
        return _fail(str(error))
    return _reconcile_and_report(expectations, stack, args, args.out, [])
