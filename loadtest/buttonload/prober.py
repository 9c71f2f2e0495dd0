"""The recovery prober of scripts/faults: one session of its own pressing through nginx about
every 100 ms, each answer logged with its time, so a fault row can say when presses were
answered 2xx again after the fault ended, and when PostgreSQL and ClickHouse held what the
prober had been acknowledged by then.

Its presses are acknowledged like any other: scripts/faults reconciles them too (its own
expectations, read from the same stores), so the prober adds coverage, never a blind spot.
"""

import http.client
import threading
import time
import urllib.parse

from . import cookie, stores

# What the page's htmx sends with a press (static/index.html), as loadtest/buttonload/drive.py.
HEADERS = {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}


class Probe:
    """One request: when it was sent and answered (time.time()), its status (0: no answer) and
    the session its answer's cookie names (None without one)."""

    __slots__ = ("sent", "answered", "status", "session")

    def __init__(self, sent, answered, status, session):
        self.sent = sent
        self.answered = answered
        self.status = status
        self.session = session

    def ok(self):
        return 200 <= self.status < 300


class Prober(threading.Thread):
    """Presses every `interval` seconds (or right after the previous answer, when that came
    later) until stop(). A refused enter or press keeps the last good cookie; with none, the
    next request is an enter again."""

    def __init__(self, app_url, interval=0.1, timeout=5.0):
        super().__init__(name="faults-prober", daemon=True)
        parts = urllib.parse.urlsplit(app_url)
        self.host = parts.hostname
        self.port = parts.port or 80
        self.interval = interval
        self.timeout = timeout
        self.probes = []
        self.cookie = None
        self.session = None  # the session of the last acknowledged answer: unanswered ones count there
        self.unanswered = {}
        self._stop_event = threading.Event()
        self._lock = threading.Lock()

    def stop(self):
        self._stop_event.set()
        self.join(self.timeout + 5)

    def _request(self, path):
        headers = dict(HEADERS)
        if self.cookie:
            headers["Cookie"] = f"{cookie.COOKIE_NAME}={self.cookie}"
        sent = time.time()
        status, value = 0, None
        # A new connection each time: a fault may close kept ones (nginx reloaded, a worker killed).
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("POST", path, body=b"", headers=headers)
            answer = connection.getresponse()
            answer.read()
            status = answer.status
            value = cookie.cookie_value(answer.getheader("Set-Cookie"))
        except (OSError, http.client.HTTPException):
            status = 0
        finally:
            connection.close()
        answered = time.time()
        session = None
        if 200 <= status < 300:
            opened = cookie.decode(value)
            if opened is not None:
                session = opened.id
                self.cookie = value
                self.session = session
        elif status == 0 and self.cookie is not None and path.endswith("/press"):
            # No answer: the press may have been recorded (in doubt, not wrong).
            with self._lock:
                self.unanswered[self.session] = self.unanswered.get(self.session, 0) + 1
        return Probe(sent, answered, status, session)

    def run(self):
        while not self._stop_event.is_set():
            began = time.monotonic()
            probe = self._request("/api/press" if self.cookie else "/api/enter")
            with self._lock:
                self.probes.append(probe)
            rest = self.interval - (time.monotonic() - began)
            if rest > 0:
                self._stop_event.wait(rest)

    def snapshot(self):
        with self._lock:
            return list(self.probes)

    def acknowledged(self, until=None):
        """2xx answers per session, those answered by `until` only when given."""
        counts = {}
        for probe in self.snapshot():
            if probe.ok() and probe.session and (until is None or probe.answered <= until):
                counts[probe.session] = counts.get(probe.session, 0) + 1
        return counts

    def expectations(self, start_offsets, started_at):
        """The prober's presses as loadtest/run's expectations.json (version 1), for the
        reconciliation."""
        probes = self.snapshot()
        statuses = {}
        unattributed = 0
        for probe in probes:
            statuses[str(probe.status)] = statuses.get(str(probe.status), 0) + 1
            if probe.ok() and not probe.session:
                unattributed += 1
        sessions = {session: {"acknowledged": count, "unanswered": self.unanswered.get(session, 0)}
                    for session, count in self.acknowledged().items()}
        return {"version": 1, "mode": "prober", "topic": stores.TOPIC, "kafka_start_offsets": start_offsets,
                "started_at_us": int(started_at * 1e6),
                "last_answer_at_us": int(max((p.answered for p in probes), default=started_at) * 1e6),
                "requests": len(probes), "statuses": statuses, "unattributed_2xx": unattributed,
                "unanswered_unattributed": self.unanswered.get(None, 0), "sessions": sessions}


def recovery(probes, fault_end):
    """Seconds from `fault_end` to the answer of the first 2xx press sent at or after it
    (None: none yet), whether any press failed between the first failure and then, and the
    time of that first 2xx answer."""
    failed = any(not probe.ok() for probe in probes if probe.sent <= fault_end + 60)
    for probe in probes:
        if probe.sent >= fault_end and probe.ok():
            return probe.answered - fault_end, failed, probe.answered
    return None, failed, None


class CatchUp(threading.Thread):
    """Times the stores catching up after the fault: from `fault_end`, polls PostgreSQL and
    ClickHouse (only the prober's sessions: a cheap query) until each holds every press the
    prober was acknowledged up to its first 2xx after the fault (the backlog written during
    the fault, and the press path working again end to end). A store that cannot be read yet
    (it is the one that was down) is polled again."""

    def __init__(self, prober, stack, fault_end, since_seconds, timeout=180.0, poll=0.5):
        super().__init__(name="faults-catch-up", daemon=True)
        self.prober = prober
        self.stack = stack
        self.fault_end = fault_end
        self.since = since_seconds
        self.timeout = timeout
        self.poll = poll
        self.caught_up = {"postgres": None, "clickhouse": None}
        self.errors = {}
        self._stop_event = threading.Event()

    def stop(self):
        self._stop_event.set()
        self.join(30)

    def run(self):
        deadline = self.fault_end + self.timeout
        readers = {
            "postgres": lambda names: stores.read_postgres(self.stack["PG_DSN"], names),
            "clickhouse": lambda names: stores.read_clickhouse(self.stack["CLICKHOUSE_URL"], names, self.since),
        }
        while not self._stop_event.is_set() and time.time() < deadline:
            _, _, first_ok = recovery(self.prober.snapshot(), self.fault_end)
            if first_ok is not None:
                target = self.prober.acknowledged(until=first_ok)
                for name, read in readers.items():
                    if self.caught_up[name] is not None:
                        continue
                    try:
                        counts = read(set(target))
                    except stores.StoreError as error:
                        self.errors[name] = str(error)
                        continue
                    now = time.time()
                    if all((counts[s].events if s in counts else 0) >= n for s, n in target.items()):
                        self.caught_up[name] = now - self.fault_end
                if all(value is not None for value in self.caught_up.values()):
                    return
            self._stop_event.wait(self.poll)
