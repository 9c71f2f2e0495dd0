#!/usr/bin/python3
"""Writes a backlog of button events for bench/sink as kcat producer input.

Each event is encoded by fastavro (independently of our Swift encoder) under the schema
the registry holds as the latest version of `button_presses-value`, framed the Confluent
way (a zero byte, the 4-byte big-endian schema id, the Avro body), and written as
`key KEY_DELIMITER value MESSAGE_DELIMITER` for `kcat -P -K -D -l`. The key is the
session id as text, as the press workers write it.

    bench/backlog.py REGISTRY_URL EVENTS OUTPUT

The message delimiter must not occur inside a message: the script checks every message
and moves an event's timestamp by 1 µs in the rare case its bytes contain it.
"""
import io
import json
import random
import struct
import sys
import urllib.request
import uuid

import fastavro

KEY_DELIMITER = b"\t"
MESSAGE_DELIMITER = b"\xff\xfe\xff"
PLACES = [
    ("United Kingdom", "GB", "England", "ENG", "London"),
    ("Germany", "DE", "Berlin", "BE", "Berlin"),
    ("United States", "US", "California", "CA", "Los Angeles"),
    ("Japan", "JP", "Tokyo", "13", "Tokyo"),
    ("Brazil", "BR", "São Paulo", "SP", "São Paulo"),
    ("Australia", "AU", "New South Wales", "NSW", "Sydney"),
    ("Finland", "FI", "", "", ""),
    ("India", "IN", "Karnataka", "KA", "Bengaluru"),
]


def main() -> None:
    registry, events, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with urllib.request.urlopen(f"{registry}/subjects/button_presses-value/versions/latest", timeout=10) as reply:
        latest = json.load(reply)
    schema = fastavro.parse_schema(json.loads(latest["schema"]))
    header = b"\x00" + struct.pack(">I", latest["id"])
    rng = random.Random(1)
    start = 1_764_000_000_000_000  # 2025-11-24, µs
    sessions = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(max(1, events // 100))]
    body = io.BytesIO()
    with open(output, "wb") as out:
        for n in range(events):
            session = sessions[n % len(sessions)]
            country, code, subdivision, subdivision_code, city = PLACES[n % len(PLACES)]
            event = {
                "session_id": session,
                "timestamp": start + n * 1_000 + rng.randrange(1_000),
                "action": "EnterPage" if n < len(sessions) else "PressButton",
                "country_name": country,
                "country_code": code,
                "subdivision_name": subdivision,
                "subdivision_code": subdivision_code,
                "city_name": city,
                "cohort": None if n % 10 == 0 else n % 7,
            }
            while True:
                body.seek(0)
                body.truncate()
                fastavro.schemaless_writer(body, schema, event)
                message = header + body.getvalue()
                if MESSAGE_DELIMITER not in message:
                    break
                event["timestamp"] += 1
            out.write(session.encode() + KEY_DELIMITER + message + MESSAGE_DELIMITER)
    print(f"schema id {latest['id']} (version {latest['version']}), {len(sessions)} sessions")


if __name__ == "__main__":
    main()
