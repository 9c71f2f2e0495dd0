"""The reconciliation: once the pipeline has drained, every session's acknowledged answers
(2xx) must equal its events in Kafka, its rows in PostgreSQL and its rows in ClickHouse
after the collapse (FINAL).

Draining: Kafka is read until it holds what was acknowledged, PostgreSQL and ClickHouse until
they hold what Kafka holds; a store whose counts stop changing for `settle` seconds is taken
as it is (then it is short or over), and `timeout` bounds the whole wait. How long each store
took to catch up is measured from the last answer to the first reading that matched.
"""

import time

from . import stores

STORES = (("kafka", "Kafka"), ("postgres", "PostgreSQL"), ("clickhouse", "ClickHouse (FINAL)"))


class _Watch:
    """One store's readings while the pipeline drains."""

    def __init__(self, started):
        self.counts = None
        self.changed_at = started
        self.matched_at = None
        self.matched_read_s = None
        self.first_read_at = None
        self.done = None  # "matched", "settled" or None

    def observe(self, counts, now):
        if self.first_read_at is None:
            self.first_read_at = now
        if self.counts is None or _keys(self.counts) != _keys(counts):
            self.changed_at = now
        self.counts = counts


def _keys(counts):
    return {session: entry.key() for session, entry in counts.items()}


def _events(counts, sessions):
    return {session: (counts.get(session).events if session in counts else 0) for session in sessions}


def reconcile(expectations, stack, timeout=120.0, settle=10.0, poll=0.25, read=None, only=None):
    """Waits for the stores, compares, and returns the result (a dict, as JSON writes it).
    `read` replaces the store readers (unit checks only). `only` names the stores to read
    (default all): a run whose Kafka log is gone (the local broker restarted empty) is
    reconciled against PostgreSQL and ClickHouse alone, each of which must then hold what was
    acknowledged."""
    checked = tuple(name for name, _ in STORES if only is None or name in only)
    sessions = expectations["sessions"]
    names = set(sessions)
    expected = {session: entry["acknowledged"] for session, entry in sessions.items()}
    since = expectations["started_at_us"] // 1_000_000 - 600
    readers = read or {
        "kafka": lambda: stores.read_kafka(stack["KAFKA_BOOTSTRAP"], expectations["kafka_start_offsets"], names,
                                           expectations.get("topic", stores.TOPIC)),
        "postgres": lambda: (stores.read_postgres(stack["PG_DSN"], names), 0),
        "clickhouse": lambda: (stores.read_clickhouse(stack["CLICKHOUSE_URL"], names, since), 0),
    }
    started = time.time()
    watches = {name: _Watch(started) for name in checked}
    mismatched_keys = 0
    timed_out = False
    while True:
        now = time.time()
        kafka = watches.get("kafka")
        for name in checked:
            watch = watches[name]
            if watch.done:
                continue
            began = time.time()
            counts, mismatched = readers[name]()
            if name == "kafka":
                mismatched_keys = mismatched
            now = time.time()
            watch.observe(counts, now)
            found = _events(counts, names)
            # Caught up: the first reading that holds what was acknowledged (the events were
            # there by the time that reading ended; it began `began`).
            if found == expected and watch.matched_at is None:
                watch.matched_at = now
                watch.matched_read_s = now - began
            # Drained: Kafka holds what was acknowledged, the others what Kafka holds (once
            # Kafka is done), or the counts stopped changing.
            if name == "kafka" or kafka is None:
                target = expected
            elif kafka.done:
                target = _events(kafka.counts, names)
            else:
                target = None
            if target is not None and found == target:
                watch.done = "matched"
            elif now - watch.changed_at >= settle and (name == "kafka" or kafka is None or kafka.done):
                watch.done = "settled"
        if all(watch.done for watch in watches.values()):
            break
        if time.time() - started >= timeout:
            timed_out = True
            break
        time.sleep(poll)
    return _verdict(expectations, watches, mismatched_keys, timed_out, started)


def _verdict(expectations, watches, mismatched_keys, timed_out, started):
    sessions = expectations["sessions"]
    last_answer = expectations["last_answer_at_us"] / 1e6
    result = {"ok": True, "sessions": len(sessions),
              "acknowledged": sum(entry["acknowledged"] for entry in sessions.values()),
              "unattributed_2xx": expectations.get("unattributed_2xx", 0),
              "unanswered": sum(entry.get("unanswered", 0) for entry in sessions.values())
              + expectations.get("unanswered_unattributed", 0),
              "reconciliation_started_after_s": round(started - last_answer, 3),
              "timed_out": timed_out, "stores": {}, "failures": []}
    if result["unattributed_2xx"]:
        result["ok"] = False
        result["failures"].append(f"{result['unattributed_2xx']} acknowledged answers carried no readable session cookie")
    if result["acknowledged"] == 0:
        result["ok"] = False
        result["failures"].append("no answer was acknowledged: there is nothing to reconcile")
    if mismatched_keys:
        result["ok"] = False
        result["failures"].append(f"{mismatched_keys} Kafka messages name another session in their value than their key")
    result["stores_checked"] = list(watches)
    for name, label in STORES:
        watch = watches.get(name)
        if watch is None:
            continue
        counts = watch.counts or {}
        store = {"label": label, "events": 0, "lost": 0, "duplicated": 0, "extra": 0, "in_doubt": 0,
                 "uncollapsed_copies": 0, "sessions_ok": 0, "state": watch.done or "still changing",
                 "problems": []}
        for session, entry in sorted(sessions.items()):
            found = counts.get(session) or stores.Counts()
            acknowledged = entry["acknowledged"]
            unanswered = entry.get("unanswered", 0)
            store["events"] += found.events
            if found.uncollapsed is not None:
                store["uncollapsed_copies"] += found.uncollapsed - found.events
            if found.events == acknowledged:
                store["sessions_ok"] += 1
                continue
            problem = {"session": session, "acknowledged": acknowledged, "found": found.events}
            if found.events < acknowledged:
                problem["lost"] = acknowledged - found.events
                store["lost"] += problem["lost"]
            else:
                over = found.events - acknowledged
                copies = found.events - found.distinct
                if over <= unanswered and copies == 0:
                    # Requests that got no answer may have been recorded: in doubt, not wrong.
                    problem["in_doubt"] = over
                    store["in_doubt"] += over
                    store["sessions_ok"] += 1
                else:
                    problem["duplicated"] = min(over, copies)
                    problem["extra"] = over - problem["duplicated"]
                    store["duplicated"] += problem["duplicated"]
                    store["extra"] += problem["extra"]
            store["problems"].append(problem)
        # Caught up only if it still holds what was acknowledged (a duplicate may come later).
        if watch.matched_at is not None and _events(counts, set(sessions)) == {
                session: entry["acknowledged"] for session, entry in sessions.items()}:
            store["caught_up_s"] = round(watch.matched_at - last_answer, 3)
            store["caught_up_read_s"] = round(watch.matched_read_s, 3)
        else:
            store["caught_up_s"] = None
        store["last_change_s"] = round(watch.changed_at - last_answer, 3)
        store["first_read_s"] = round(watch.first_read_at - last_answer, 3) if watch.first_read_at else None
        if store["lost"] or store["duplicated"] or store["extra"] or watch.done is None:
            result["ok"] = False
        result["stores"][name] = store
    if timed_out:
        result["failures"].append("the stores were still changing when the reconciliation timed out")
    return result


def report(result, limit=20):
    """The reconciliation as lines for a person: a table, then every difference by session."""
    lines = [f"reconciliation: {result['sessions']} sessions, {result['acknowledged']} acknowledged answers"
             + (f", {result['unanswered']} requests without an answer (in doubt)" if result["unanswered"] else "")]
    if result["reconciliation_started_after_s"] > 5:
        lines.append(f"  (started {result['reconciliation_started_after_s']:.1f} s after the run's last answer)")
    lines.append(f"  {'store':<20} {'events':>9} {'sessions ok':>12} {'lost':>6} {'duplicated':>10} {'extra':>6}"
                 f"  caught up after the last answer")
    for name, _label in STORES:
        store = result["stores"].get(name)
        if store is None:
            lines.append(f"  {_label:<20} not read (--stores)")
            continue
        if store["caught_up_s"] is not None:
            caught = f"{store['caught_up_s']:.2f} s (a reading takes {store['caught_up_read_s']:.2f} s)"
        else:
            how = {"matched": "holds what Kafka holds", "settled": "stopped changing"}.get(store["state"], store["state"])
            caught = f"never: {how}, last change at {store['last_change_s']:.2f} s"
        lines.append(f"  {store['label']:<20} {store['events']:>9} {store['sessions_ok']:>6}/{result['sessions']:<5}"
                     f" {store['lost']:>6} {store['duplicated']:>10} {store['extra']:>6}  {caught}")
    clickhouse = result["stores"].get("clickhouse", {})
    if clickhouse.get("uncollapsed_copies"):
        lines.append(f"  ClickHouse without FINAL: {clickhouse['uncollapsed_copies']} more rows, copies of one source "
                     "position that merges will collapse (the stats page counts them until then unless "
                     "STATS_CLICKHOUSE_FINAL=1)")
    for store in result["stores"].values():
        for problem in store["problems"][:limit]:
            what = []
            if problem.get("lost"):
                what.append(f"{problem['lost']} lost")
            if problem.get("duplicated"):
                what.append(f"{problem['duplicated']} duplicated (the same event twice)")
            if problem.get("extra"):
                what.append(f"{problem['extra']} extra (events never acknowledged)")
            if problem.get("in_doubt"):
                what.append(f"{problem['in_doubt']} recorded for requests that got no answer (in doubt)")
            lines.append(f"  {store['label']}: session {problem['session']}: {problem['found']} events for "
                         f"{problem['acknowledged']} acknowledged answers: {', '.join(what)}")
        if len(store["problems"]) > limit:
            lines.append(f"  {store['label']}: ... and {len(store['problems']) - limit} more sessions")
    for failure in result["failures"]:
        lines.append(f"  {failure}")
    if result["ok"]:
        where = ", ".join(result["stores"][name]["label"] for name in result.get("stores_checked", result["stores"]))
        lines.append(f"reconciliation OK: every acknowledged event is in {where} exactly once "
                     f"({result['acknowledged']} events, {result['sessions']} sessions)")
    else:
        lines.append("reconciliation FAILED: the stores do not hold exactly what was acknowledged (above)")
    return lines
