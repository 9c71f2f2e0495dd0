"""The session inside the press path's signed cookie (Sources/Session/SessionPayload.swift).

`button_session=v1.<payload>.<mac>`, payload and MAC base64url without padding. Version 1 of
the payload: uuid (16) | has-cohort (1) | cohort (4, BE) | startedAt (8, BE) |
lastSeenAt (8, BE) | presses (4, BE) | five strings (country name, country code,
subdivision name, subdivision code, city), each a 2-byte BE length and UTF-8; then, in cookies
written since the bot mark, a 13-byte trailer (flags | window start | window presses), which
this reader skips. The MAC is not
checked here (the secret stays with the workers): the load test only reads its own cookies.
"""

import base64
import struct
import uuid

COOKIE_NAME = "button_session"


class Session:
    __slots__ = ("id", "cohort", "country_code", "presses")

    def __init__(self, session_id, cohort, country_code, presses):
        self.id = session_id
        self.cohort = cohort
        self.country_code = country_code
        self.presses = presses


def cookie_value(set_cookie):
    """The value of `button_session` in a Set-Cookie (or Cookie) header, or None."""
    for part in (set_cookie or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME and value:
            return value
    return None


def decode(value):
    """The session of a cookie value, or None when it is not a version-1 cookie."""
    fields = (value or "").split(".")
    if len(fields) != 3 or fields[0] != "v1":
        return None
    text = fields[1]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None
    head = 16 + 1 + 4 + 8 + 8 + 4
    if len(raw) < head:
        return None
    has_cohort, cohort, _started, _last_seen, presses = struct.unpack(">BiQQI", raw[16:head])
    strings = []
    offset = head
    for _ in range(5):
        if len(raw) < offset + 2:
            return None
        (length,) = struct.unpack(">H", raw[offset:offset + 2])
        offset += 2
        if len(raw) < offset + length:
            return None
        strings.append(raw[offset:offset + length].decode("utf-8", "replace"))
        offset += length
    # Nothing after the strings (an older cookie), or exactly the trailer.
    if len(raw) - offset not in (0, 13):
        return None
    return Session(str(uuid.UUID(bytes=raw[:16])), cohort if has_cohort else None, strings[1], presses)
