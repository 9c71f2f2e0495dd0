"""Reading the run's sessions back from each store, independently of the project's code:
Kafka with kcat, PostgreSQL with psql, ClickHouse over its HTTP interface.

Each reader returns {session id: Counts}. `events` is what the store holds for the session
(for ClickHouse after the collapse the stats use: FINAL); `distinct` counts different events
by their content (timestamp and action; the press path stamps each event with its own
microsecond), so `events - distinct` are copies of one event; `uncollapsed` (ClickHouse only)
is the rows before the collapse.
"""

import concurrent.futures
import json
import os
import subprocess
import urllib.error
import urllib.request

from .stack import postgres_environment

TOPIC = "button_presses"
CHUNK = 1000  # sessions per SQL query: ClickHouse's max_query_size is 256 KiB


class StoreError(Exception):
    """A store could not be read: the reconciliation cannot say anything, and fails."""


class Counts:
    __slots__ = ("events", "distinct", "uncollapsed")

    def __init__(self, events=0, distinct=0, uncollapsed=None):
        self.events = events
        self.distinct = distinct
        self.uncollapsed = uncollapsed

    def key(self):
        return (self.events, self.distinct, self.uncollapsed)


# The local broker holds a fetch that finds nothing for the whole fetch.wait.max.ms (500 ms by
# default) before kcat sees the partition's end: each read would take that long.
KCAT_OPTIONS = ("-X", "fetch.wait.max.ms=20")
# How long one partition's read may take: the 46 647 events of a 10-minute soak
# (scripts/soak) took 119 s to read from the local broker on a shared 2-core machine.
KAFKA_READ_TIMEOUT = 600


def _kcat(arguments, timeout):
    if "-C" in arguments:
        arguments = [*KCAT_OPTIONS, *arguments]
    try:
        done = subprocess.run(["kcat", *arguments], capture_output=True, timeout=timeout)
    except OSError:
        raise StoreError("kcat is not installed (scripts/install-deps --test installs it)") from None
    except subprocess.TimeoutExpired:
        raise StoreError(f"kcat did not finish within {timeout} s: is the broker up?") from None
    if done.returncode != 0:
        # Its last line says why (librdkafka's connection attempts come before it).
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise StoreError(f"kcat failed: {lines[-1].lstrip('% ')}")
    return done.stdout


def kafka_partitions(bootstrap, topic=TOPIC):
    metadata = json.loads(_kcat(["-b", bootstrap, "-L", "-J", "-t", topic, "-m", "5"], 20))
    for entry in metadata.get("topics", []):
        if entry.get("topic") == topic and entry.get("partitions"):
            return sorted(partition["partition"] for partition in entry["partitions"])
    raise StoreError(f"the broker at {bootstrap} has no topic {topic}")


def kafka_end_offsets(bootstrap, topic=TOPIC):
    """Where each partition ends now (the run's events come after): the last message's
    offset plus one, or None for an empty partition (read it from its beginning)."""
    def end(partition):
        output = _kcat(["-C", "-b", bootstrap, "-t", topic, "-p", str(partition), "-o", "-1", "-e", "-q",
                        "-f", "%o\n"], 30).split()
        return str(partition), (int(output[-1]) + 1 if output else None)
    # One kcat per partition, all at once: each spends most of its time starting and fetching.
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        return dict(pool.map(end, kafka_partitions(bootstrap, topic)))


def _zigzag(buffer, position):
    """An Avro long (zigzag varint) at `position`: (value, next position)."""
    shift = 0
    result = 0
    while True:
        if position >= len(buffer) or shift > 63:
            raise ValueError("truncated varint")
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return (result >> 1) ^ -(result & 1), position


def decode_event_head(value):
    """(session_id, timestamp, action) from a Confluent-framed event: the schema's first three
    fields (Sources/ButtonEvents: session_id string, timestamp long, action string), which
    every version of the schema starts with. None when it is not such a message."""
    if len(value) < 5 or value[0] != 0:
        return None
    try:
        length, position = _zigzag(value, 5)
        session = value[position:position + length].decode()
        timestamp, position = _zigzag(value, position + length)
        length, position = _zigzag(value, position)
        action = value[position:position + length].decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return session, timestamp, action


def read_kafka(bootstrap, start_offsets, sessions, topic=TOPIC):
    """The run's events in the topic, per key (the session id as UTF-8), read from where each
    partition ended before the run. A message whose value names another session than its key
    is counted under its key and reported."""
    counts = {}
    contents = {}
    mismatched = 0

    def read(item):
        partition, start = item
        # Header line, then exactly the key's and the value's bytes: binary-safe.
        return _kcat(["-C", "-b", bootstrap, "-t", topic, "-p", str(partition),
                      "-o", "beginning" if start is None else str(start), "-e", "-q",
                      "-f", "%K %S %o\n%k%s"], KAFKA_READ_TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        outputs = list(pool.map(read, start_offsets.items()))
    for raw in outputs:
        position = 0
        while position < len(raw):
            newline = raw.index(b"\n", position)
            key_length, value_length, _offset = (int(field) for field in raw[position:newline].split())
            position = newline + 1
            key = raw[position:position + max(0, key_length)]
            position += max(0, key_length)
            value = raw[position:position + max(0, value_length)]
            position += max(0, value_length)
            session = key.decode(errors="replace")
            if session not in sessions:
                continue
            head = decode_event_head(value)
            if head is not None and head[0] != session:
                mismatched += 1
            entry = counts.setdefault(session, Counts())
            entry.events += 1
            contents.setdefault(session, set()).add(head[1:] if head else value)
    for session, seen in contents.items():
        counts[session].distinct = len(seen)
    return counts, mismatched


def _chunks(sessions):
    ordered = sorted(sessions)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def read_postgres(dsn, sessions):
    """Rows of `button_presses` (Sources/PressSink/Migrations) per session."""
    counts = {}
    env = dict(os.environ, **postgres_environment(dsn))
    for chunk in _chunks(sessions):
        # The ids are UUIDs the load test decoded itself: safe as a literal.
        query = ('SELECT session_id::text, count(*), count(DISTINCT ("timestamp", action)) FROM button_presses '
                 "WHERE session_id = ANY('{" + ",".join(chunk) + "}'::uuid[]) GROUP BY 1")
        try:
            done = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                                  input=query, capture_output=True, text=True, env=env, timeout=60)
        except OSError:
            raise StoreError("psql is not installed (postgresql-15 brings it)") from None
        except subprocess.TimeoutExpired:
            raise StoreError("PostgreSQL did not answer within 60 s") from None
        if done.returncode != 0:
            raise StoreError(f"PostgreSQL: {done.stderr.strip()}")
        for line in done.stdout.splitlines():
            session, events, distinct = line.split("\t")
            counts[session] = Counts(int(events), int(distinct))
    return counts


def _clickhouse(url, query):
    request = urllib.request.Request(url.rstrip("/") + "/", data=query.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read().decode()
    except urllib.error.HTTPError as error:
        raise StoreError(f"ClickHouse: {error.read().decode(errors='replace').strip()[:500]}") from None
    except (urllib.error.URLError, OSError) as error:
        raise StoreError(f"ClickHouse at {url} cannot be reached: {error}") from None


def read_clickhouse(url, sessions, since_seconds):
    """Rows of `button_presses` (clickhouse/migrations) per session: with FINAL, the
    ReplacingMergeTree's collapse of copies of one source position (what the stats read
    with STATS_CLICKHOUSE_FINAL=1, and what every row becomes after merges), and without it."""
    counts = {}
    for chunk in _chunks(sessions):
        where = (f"event_time >= toDateTime({int(since_seconds)}) AND session_id IN ("
                 + ",".join(f"'{session}'" for session in chunk) + ")")
        final = _clickhouse(url, "SELECT toString(session_id), count(), uniqExact(timestamp, action) "
                                 f"FROM button_presses FINAL WHERE {where} GROUP BY session_id FORMAT TabSeparated")
        raw = _clickhouse(url, "SELECT toString(session_id), count() "
                               f"FROM button_presses WHERE {where} GROUP BY session_id FORMAT TabSeparated")
        for line in final.splitlines():
            session, events, distinct = line.split("\t")
            counts[session] = Counts(int(events), int(distinct), 0)
        for line in raw.splitlines():
            session, rows = line.split("\t")
            counts.setdefault(session, Counts(0, 0, 0)).uncollapsed = int(rows)
    return counts
