"""The steady load of scripts/tests/multihost: `load.py URL OUT.jsonl --clients N --interval S`.

Each client (a thread with one kept HTTP/1.1 connection to nginx, as a browser has) loops:
`POST /api/enter` without a cookie starts a session S (the answer's signed cookie names it),
then `POST /api/press` with S's cookie, as htmx sends it, then a pause. A fresh session per
press makes every press identifiable in Kafka by its key (the session id), also when the press
failed: its session was known before it was sent. So the verdict can tell, for each press,
acknowledged and in Kafka once, failed and absent, or failed yet produced (in doubt).

One JSON line per request, written as it completes: kind (enter, press), start and end (Unix
seconds), status (0: no answer at all), upstream (nginx's X-Upstream: the worker hosts
tried, in order), session (press: the request's; enter: the answer's), answer_session (the
session named by the answer's cookie), error. Runs until SIGTERM or --max-seconds, then
lets the requests in flight finish.
"""

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "loadtest"))
from buttonload.cookie import COOKIE_NAME, cookie_value, decode  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--max-seconds", type=float, default=150.0)
    args = parser.parse_args()
    target = urllib.parse.urlsplit(args.url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lock = threading.Lock()
    out = open(args.out, "a", buffering=1)

    def write(record):
        line = json.dumps(record, separators=(",", ":"))
        with lock:
            out.write(line + "\n")

    def client():
        connection = None

        def send(path, cookie):
            nonlocal connection
            if connection is None:
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=args.timeout)
            headers = {"HX-Request": "true", "Content-Length": "0"}
            if cookie:
                headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
            start = time.time()
            try:
                connection.request("POST", path, body=b"", headers=headers)
                response = connection.getresponse()
                response.read()
                answer = {
                    "status": response.status,
                    "upstream": response.getheader("X-Upstream", ""),
                    "cookie": cookie_value(response.getheader("Set-Cookie")),
                    "error": "",
                }
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = None
                answer = {"status": 0, "upstream": "", "cookie": None, "error": type(error).__name__}
            answer["start"] = start
            answer["end"] = time.time()
            return answer

        def session_of(cookie):
            session = decode(cookie) if cookie else None
            return session.id if session else None

        while not stop.is_set():
            enter = send("/api/enter", None)
            cookie = enter.pop("cookie")
            entered = cookie if 200 <= enter["status"] < 300 else None
            write({"kind": "enter", "session": session_of(entered), "answer_session": session_of(entered), **enter})
            if entered and not stop.is_set():
                press = send("/api/press", entered)
                answered = press.pop("cookie")
                write({"kind": "press", "session": session_of(entered), "answer_session": session_of(answered),
                       **press})
            stop.wait(args.interval)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    stop.wait(args.max_seconds)
    stop.set()
    for thread in threads:
        thread.join(args.timeout + 5)
    out.close()


if __name__ == "__main__":
    main()
