"""A steady trickle of presses and how long each took to reach ClickHouse: the check that a
low, steady rate is visible in ClickHouse within seconds (README: about 2 s), which ClickHouse
18.16's Kafka engine does not do on its own: it ends a stream (inserts, commits) only between
blocks of kafka_max_block_size rows, so a trickle waited for a whole block.

Usage: python3 -m buttonload.trickle [--rate 5] [--seconds 15] [--limit 5]; the stack from
$BUTTON_STACK_ENV. Exits 1 when a press took longer than --limit seconds to appear, or never did.
"""

import argparse
import os
import sys
import time

from . import prober as probing
from . import stores
from .stack import StackError, default_env_file, read_stack_env, require_loopback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="trickle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=5.0, help="presses per second (default 5)")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long to press (default 15)")
    parser.add_argument("--limit", type=float, default=5.0,
                        help="the longest a press may take to reach ClickHouse, in seconds (default 5)")
    parser.add_argument("--stack-env", metavar="FILE")
    args = parser.parse_args(argv)
    try:
        stack = read_stack_env(args.stack_env or default_env_file(ROOT))
        require_loopback(stack["APP_URL"])
    except StackError as error:
        print(f"trickle: {error}", file=sys.stderr)
        return 2
    since = int(time.time()) - 600
    prober = probing.Prober(stack["APP_URL"], interval=1.0 / args.rate)
    started = time.time()
    prober.start()
    seen = []  # (time of the reading, rows of the prober's session in ClickHouse)
    try:
        while time.time() - started < args.seconds:
            session = prober.session
            if session:
                seen.append((time.time(), _rows(stack, session, since)))
            time.sleep(0.25)
    finally:
        prober.stop()
    session = prober.session
    # Every acknowledged answer of the session (the enter is an event too), in answer order.
    presses = sorted(p.answered for p in prober.snapshot() if p.ok() and p.session == session)
    deadline = time.time() + max(30.0, 3 * args.limit)
    while time.time() < deadline and (not seen or seen[-1][1] < len(presses)):
        seen.append((time.time(), _rows(stack, session, since)))
        time.sleep(0.25)
    lags = []
    for index, answered in enumerate(presses, start=1):
        arrival = next((at for at, rows in seen if rows >= index and at >= answered), None)
        lags.append(None if arrival is None else arrival - answered)
    missing = sum(1 for lag in lags if lag is None)
    worst = max((lag for lag in lags if lag is not None), default=None)
    print(f"trickle: {len(presses)} presses at {args.rate:g}/s for {args.seconds:g} s; ClickHouse holds "
          f"{seen[-1][1] if seen else 0}; the slowest took "
          f"{'n/a' if worst is None else f'{worst:.1f} s'} to appear (limit {args.limit:g} s)"
          + (f"; {missing} never appeared" if missing else ""))
    if not presses:
        print("trickle: no press was acknowledged", file=sys.stderr)
        return 1
    return 0 if not missing and worst is not None and worst <= args.limit else 1


def _rows(stack, session, since):
    counts = stores.read_clickhouse(stack["CLICKHOUSE_URL"], {session}, since)
    return counts[session].events if session in counts else 0


if __name__ == "__main__":
    sys.exit(main())
