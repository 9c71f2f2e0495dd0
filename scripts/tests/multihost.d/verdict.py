"""The verdict of scripts/tests/multihost: the load's answers against the topic and nginx's log.

    verdict.py --records R.jsonl --kafka DUMP --marks MARKS --access-log LOG \
               --w1 HOST:PORT --w2 HOST:PORT --clients N --keepalive K --read-timeout S \
               [--summary OUT.json]

The timeline (MARKS, `name unix-seconds` lines written by the test): `crash` (every process
of host w2 killed), `restart` (w2's pool started again), `w2_back` (nginx answered from w2
again), `unplug` (host w1's link taken down: no RST, no answer, like a pulled cable) and
`stop` (the load stopped). The topic (DUMP, kcat's `%K %S\\n%k%s` frames of the whole topic of
this test's own broker) is the source of truth.

Prints `ok: …` / `FAILED: …` lines and `figure: …` lines; exits 1 when a check failed.
"""

import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "loadtest"))
from buttonload.stores import decode_event_head  # noqa: E402

ENTER, PRESS = "EnterPage", "PressButton"


def read_marks(path):
    marks = {}
    with open(path) as lines:
        for line in lines:
            name, _, value = line.strip().partition(" ")
            if name:
                marks[name] = float(value)
    return marks


def read_records(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def read_kafka(path):
    """(key, decoded head or None) per message, from kcat's `%K %S\\n%k%s` output."""
    with open(path, "rb") as dump:
        raw = dump.read()
    messages = []
    position = 0
    while position < len(raw):
        newline = raw.index(b"\n", position)
        key_length, value_length = (int(field) for field in raw[position:newline].split())
        position = newline + 1
        key = raw[position:position + max(0, key_length)]
        position += max(0, key_length)
        value = raw[position:position + max(0, value_length)]
        position += max(0, value_length)
        messages.append((key.decode(errors="replace"), decode_event_head(value)))
    return messages


def read_access_log(path):
    """nginx's lines `msec|method|uri|status|upstream_addr|upstream_status|request_time`."""
    entries = []
    with open(path) as lines:
        for line in lines:
            fields = line.rstrip("\n").split("|")
            if len(fields) == 7:
                entries.append(fields)
    return entries


def answered_by(upstream):
    """The host that gave nginx its answer: the last of the servers tried ("a, b")."""
    tried = [part.strip() for part in (upstream or "").split(",") if part.strip()]
    return tried[-1] if tried else ""


def ok(record):
    return 200 <= record["status"] < 300


class Verdict:
    def __init__(self):
        self.failed = 0
        self.summary = {}

    def check(self, name, passed, detail=""):
        if passed:
            print(f"ok: {name}")
        else:
            self.failed += 1
            print(f"FAILED: {name}" + (f" ({detail})" if detail else ""))

    def figure(self, key, text, value=None):
        print(f"figure: {text}")
        self.summary[key] = value if value is not None else text


def main():
    parser = argparse.ArgumentParser()
    for name in ("records", "kafka", "marks", "access-log", "w1", "w2"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--keepalive", type=int, required=True)
    parser.add_argument("--read-timeout", type=float, required=True)
    parser.add_argument("--summary")
    args = parser.parse_args()

    marks = read_marks(args.marks)
    records = read_records(args.records)
    messages = read_kafka(args.kafka)
    log = read_access_log(args.access_log)
    w1, w2 = args.w1, args.w2
    verdict = Verdict()
    crash, restart, back, unplug, stop = (marks[name] for name in ("crash", "restart", "w2_back", "unplug", "stop"))
    presses = [r for r in records if r["kind"] == "press"]
    enters = [r for r in records if r["kind"] == "enter"]
    started = min(r["start"] for r in records) if records else crash
    verdict.figure("requests", f"{len(records)} requests ({len(enters)} enters, {len(presses)} presses) in "
                   f"{stop - started:.1f} s, {args.clients} clients", len(records))

    # --- spread over both hosts ------------------------------------------------------------
    def per_host(selection):
        counts = collections.Counter(answered_by(r["upstream"]) for r in selection if ok(r))
        return counts[w1], counts[w2]

    # nginx's round robin takes turns per request, enters and presses alike: the spread is
    # judged on both (presses alone can line up with one host, enters with the other).
    both_up = [r for r in records if r["end"] < crash]
    one, two = per_host(both_up)
    verdict.figure("requests_per_host_both_up", f"requests (enters and presses) acknowledged while both hosts "
                   f"were up: w1 {one}, w2 {two}", {"w1": one, "w2": two})
    verdict.check("requests spread over both worker hosts (each at least 30 % while both are up)",
                  one + two > 0 and min(one, two) >= 0.3 * (one + two), f"w1 {one}, w2 {two}")
    one, two = per_host([r for r in presses if r["end"] < crash])
    verdict.figure("presses_per_host_both_up", f"presses among them: w1 {one}, w2 {two}", {"w1": one, "w2": two})
    one_all, two_all = per_host(presses)
    verdict.figure("presses_per_host", f"presses acknowledged over the whole run: w1 {one_all}, w2 {two_all}",
                   {"w1": one_all, "w2": two_all})

    passed_on = [r for r in records if "," in r["upstream"]]
    verdict.figure("passed_on", f"requests nginx passed on to the other host (not handed over to the first): "
                   f"{len(passed_on)}, answered {dict(collections.Counter(r['status'] for r in passed_on))}",
                   len(passed_on))

    # nginx's own log, an independent count of who answered.
    from_log = collections.Counter(
        (uri, answered_by(upstream)) for _msec, method, uri, status, upstream, _us, _rt in log
        if method == "POST" and uri.startswith("/api/") and status.startswith("2"))
    from_client = collections.Counter((r["kind"] == "press" and "/api/press" or "/api/enter",
                                       answered_by(r["upstream"])) for r in records if ok(r))
    verdict.check("nginx's access log names the same host for every acknowledged request as the answers do",
                  from_log == from_client, f"log {dict(from_log)} vs answers {dict(from_client)}")

    # --- Kafka: nothing acknowledged lost, nothing twice -----------------------------------
    undecodable = sum(1 for _key, head in messages if head is None)
    mismatched = sum(1 for key, head in messages if head is not None and head[0] != key)
    verdict.check("every message in the topic is an event whose session is its key",
                  undecodable == 0 and mismatched == 0, f"{undecodable} undecodable, {mismatched} mismatched")
    by_key = collections.defaultdict(collections.Counter)
    for key, head in messages:
        if head is not None:
            by_key[key][head[2]] += 1
    acked_presses = {r["session"] for r in presses if ok(r)}
    failed_presses = [r for r in presses if not ok(r)]
    acked_enters = {r["session"] for r in enters if ok(r)}
    failed_enters = [r for r in enters if not ok(r)]

    lost = [s for s in acked_presses if by_key[s][PRESS] == 0] + [s for s in acked_enters if by_key[s][ENTER] == 0]
    verdict.check("no acknowledged request is missing from Kafka", not lost, f"{len(lost)} missing, e.g. {lost[:3]}")
    doubled = [(key, dict(counts)) for key, counts in by_key.items() if any(n > 1 for n in counts.values())]
    verdict.check("no event is in Kafka twice (no press was sent to two hosts)", not doubled,
                  f"{len(doubled)} sessions, e.g. {doubled[:3]}")
    in_doubt_produced = [r for r in failed_presses if by_key[r["session"]][PRESS] >= 1]
    verdict.figure("failed_presses", f"presses not acknowledged: {len(failed_presses)}, of which produced "
                   f"but not acknowledged (in Kafka, the answer lost): {len(in_doubt_produced)}",
                   {"failed": len(failed_presses), "produced_not_acknowledged": len(in_doubt_produced)})
    known = acked_presses | {r["session"] for r in failed_presses}
    stray = [key for key, counts in by_key.items() if counts[PRESS] and key not in known]
    verdict.check("every press event in Kafka belongs to a press the load sent", not stray, f"{stray[:3]}")
    orphan_enters = [key for key, counts in by_key.items() if counts[ENTER] and key not in acked_enters]
    verdict.check("events of unacknowledged enters are no more than the enters that failed",
                  len(orphan_enters) <= len(failed_enters), f"{len(orphan_enters)} > {len(failed_enters)}")
    verdict.check("events in Kafka are no more than the requests sent", len(messages) <= len(records),
                  f"{len(messages)} events, {len(records)} requests")
    verdict.figure("events", f"events in Kafka: {len(messages)}; acknowledged requests: "
                   f"{len(acked_presses) + len(acked_enters)}; produced but not acknowledged: "
                   f"{len(in_doubt_produced) + len(orphan_enters)}", len(messages))

    # One signing secret for all hosts: a session started on one host goes on on the other.
    crossed = [r for r in presses if ok(r)]
    kept = [r for r in crossed if r["answer_session"] == r["session"]]
    enter_host = {r["session"]: answered_by(r["upstream"]) for r in enters if ok(r)}
    across = sum(1 for r in kept if enter_host.get(r["session"]) not in ("", answered_by(r["upstream"])))
    verdict.check("every acknowledged press kept its session, also when another host had started it",
                  len(kept) == len(crossed) and across > 0, f"{len(crossed) - len(kept)} restarted, {across} across")

    # --- the timeline ----------------------------------------------------------------------
    failures = [r for r in records if not ok(r)]
    early = [r for r in failures if r["end"] < crash]
    verdict.check("no request failed while both hosts were up", not early, f"{len(early)} failed")
    bound = args.clients + args.keepalive

    def phase(name, kill, until, steady_until, dead, survivor, settle):
        """Failures answered in [kill, until); every request started in [kill + settle,
        steady_until) answered 2xx by the survivor."""
        failed = [r for r in failures if kill <= r["end"] < until]
        statuses = collections.Counter(r["status"] or "no answer" for r in failed)
        # A failed enter has no session to look for; a failed press has its request's.
        failed_here = [r for r in failed if r["kind"] == "press"]
        produced = sum(1 for r in failed_here if by_key[r["session"]][PRESS] >= 1)
        verdict.check(f"{name}: failures only for requests the dead host held, at most clients + keepalive "
                      f"({bound})", len(failed) <= bound and all(dead in r["upstream"] for r in failed),
                      f"{len(failed)} failed: {[(r['status'], r['upstream']) for r in failed][:5]}")
        steady = [r for r in records if kill + settle <= r["start"] < steady_until]
        wrong = [r for r in steady if not ok(r) or answered_by(r["upstream"]) != survivor]
        verdict.check(f"{name}: from {settle:g} s after, every request is answered 2xx by the other host",
                      bool(steady) and not wrong,
                      f"{len(wrong)} of {len(steady)}: {[(r['status'], r['upstream']) for r in wrong][:5]}")
        last_failure = max((r["end"] for r in failed), default=kill)
        # The longest stretch without an acknowledged answer, from a second before the kill.
        answers = sorted(r["end"] for r in records if ok(r) and kill - 1 <= r["end"] < steady_until)
        stalls = [b - a for a, b in zip([kill - 1] + answers, answers)]
        stall = max(stalls, default=0.0)
        slowest = max((r["end"] - r["start"] for r in records if kill - 1 <= r["start"] < kill + 5), default=0.0)
        after = [r for r in records if kill <= r["start"] < steady_until]
        verdict.figure(f"{name}_failures", f"{name}: {len(failed)} requests failed ({dict(statuses)}); of the "
                       f"{len(failed_here)} failed presses, {produced} in Kafka (produced but not acknowledged); "
                       f"{len(after)} requests started in the phase",
                       {"failed": len(failed), "statuses": {str(k): v for k, v in statuses.items()},
                        "failed_presses": len(failed_here), "produced_not_acknowledged": produced,
                        "requests": len(after)})
        verdict.figure(f"{name}_move_on",
                       f"{name}: last failure answered {(last_failure - kill) * 1000:.0f} ms after; longest "
                       f"stretch without a 2xx {stall * 1000:.0f} ms; slowest request started around it "
                       f"{slowest * 1000:.0f} ms",
                       {"last_failure_ms": round((last_failure - kill) * 1000), "stall_ms": round(stall * 1000),
                        "slowest_ms": round(slowest * 1000)})

    phase("w2 crashed (every process killed)", crash, unplug, restart, w2, w1, 1.0)
    rejoined = [r for r in presses if restart <= r["start"] < unplug and ok(r) and answered_by(r["upstream"]) == w2]
    verdict.check("w2 restarted: nginx sends it presses again", bool(rejoined))
    verdict.figure("rejoin", f"w2 back in the upstream {back - restart:.1f} s after its pool was started",
                   round(back - restart, 1))
    phase("w1 unplugged (link down)", unplug, float("inf"), stop, w1, w2, args.read_timeout + 2)

    if args.summary:
        with open(args.summary, "w") as out:
            json.dump(verdict.summary, out, indent=2)
    sys.exit(1 if verdict.failed else 0)


if __name__ == "__main__":
    main()
