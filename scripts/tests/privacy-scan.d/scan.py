#!/usr/bin/env python3
"""The privacy scan's searcher (scripts/tests/privacy-scan runs it; it is not meant to be run
alone). Subcommands:

  addresses OUT.json             the test clients' addresses, from the sources that send them
  text-and-bytes LABEL FILE...   search files (dumps, logs, data files) for every form
  kafka LABEL DUMP SCHEMAS.json  search a topic's messages, decoded (see below)
  contains NEEDLE FILE...        exit 0 when a known string (a canary; a UUID also as its 16
                                 bytes) is in the files

Which addresses: every IPv4/IPv6 literal in Tests/ and scripts/tests/ (the Swift tests send
them as X-Forwarded-For or REMOTE_ADDR), every /24 that a test fills in at run time
("128.32.1.\\(index)", "198.51.100.\\(Int.random…)": all 256 addresses), loadtest's places
(loadtest/buttonload/places.py), and the scan's own canary client. Loopback and unspecified
addresses are left out here: nginx connects from 127.0.0.1, and configs, stack.env and logs
name 127.0.0.1 as a listen address, so the shell script searches loopback only where no
address belongs at all (the events).

Which forms:
- text, anywhere: every dotted quad, IPv6 token (compressed, expanded, any case, with an
  embedded IPv4 such as ::ffff:81.2.69.160) and 8-10 digit decimal number (an IPv4 address
  stored as an integer) is parsed and looked up, so every spelling is caught at once;
- 16 raw bytes, anywhere: an IPv6 address, and an IPv4 address mapped into IPv6 (::ffff:a.b.c.d);
- 4 raw bytes (big- and little-endian) where structure makes a hit meaningful: in text
  output (dumps, query results, logs, JSON, whose bytes are text), in Kafka keys and headers,
  and in every string and number of a decoded Avro event. In binary data files (PostgreSQL's
  and ClickHouse's directories) four bytes match by chance (a few hundred MB against
  hundreds of addresses is several random hits), so there the 4-byte form is not searched
  and the stores are searched through their query interfaces instead.
"""

import bisect
import ipaddress
import json
import os
import re
import struct
import sys
import uuid

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "loadtest"))
from buttonload.stores import _zigzag  # noqa: E402  (the load test's Avro varint reader)

CHUNK = 32 * 1024 * 1024

# ---------------------------------------------------------------------------- addresses

_V4_LITERAL = re.compile(r'"(\d{1,3}(?:\.\d{1,3}){3})"')
_V6_LITERAL = re.compile(r'"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})"')
_V4_TEMPLATE = re.compile(r'"(\d{1,3}\.\d{1,3}\.\d{1,3})\.\\\(')


def _usable(address):
    return not (address.is_loopback or address.is_unspecified)


def collect_addresses(extra=()):
    """{text: source} of every test client address (see the module's doc)."""
    found = {}
    from buttonload.places import PLACES  # noqa: E402
    for place in PLACES:
        for text in place[2:]:
            if text:
                found[text] = "loadtest/buttonload/places.py"
    for top in ("Tests", os.path.join("scripts", "tests"), "bench"):
        for directory, _dirs, files in os.walk(os.path.join(ROOT, top)):
            if os.path.abspath(directory) == os.path.dirname(os.path.abspath(__file__)):
                continue  # this scanner's own examples
            for name in files:
                if not name.endswith((".swift", ".py", ".lua", ".sh")) and "." in name:
                    continue
                path = os.path.join(directory, name)
                try:
                    with open(path, encoding="utf-8") as handle:
                        source = handle.read()
                except (OSError, UnicodeDecodeError):
                    continue
                relative = os.path.relpath(path, ROOT)
                for literal in _V4_LITERAL.findall(source) + _V6_LITERAL.findall(source):
                    try:
                        address = ipaddress.ip_address(literal)
                    except ValueError:
                        continue  # "999.1.1.1", "01.2.3.4": tests of refusals, never a client
                    if _usable(address):
                        found.setdefault(literal, relative)
                for prefix in _V4_TEMPLATE.findall(source):
                    for last in range(256):
                        found.setdefault(f"{prefix}.{last}", relative + " (a /24 filled at run time)")
    for text in extra:
        found[text] = "the scan's canary client"
    return found


_TEXT_BYTES = frozenset(b"\t\n\r" + bytes(range(0x20, 0x7F)))


def _plain_bytes(packed):
    return all(byte in _TEXT_BYTES for byte in packed) or all(byte in (0, 0xFF) for byte in packed)


class Needles:
    """The addresses as lookup sets for every form."""

    def __init__(self, addresses):
        self.v4 = {}   # int -> text
        self.v6 = {}   # int -> text
        for text in addresses:
            address = ipaddress.ip_address(text)
            if address.version == 4:
                self.v4[int(address)] = text
            else:
                self.v6[int(address)] = text
                if address.ipv4_mapped:
                    self.v4[int(address.ipv4_mapped)] = text
        # Four bytes that are all text (9.9.9.9 is four tabs, 97.98.99.100 is "abcd") or all
        # 00/ff (255.255.255.255) are what text and varints are made of: their 4-byte form
        # proves nothing, so only their text forms are searched.
        four = [n for n in self.v4 if not _plain_bytes(n.to_bytes(4, "big"))]
        self.be4 = np.array(sorted(four), dtype=np.uint32)
        self.le4 = np.array(sorted(struct.unpack("<I", struct.pack(">I", n))[0] for n in four), dtype=np.uint32)
        self.v6_bytes = {n.to_bytes(16, "big"): t for n, t in self.v6.items()}
        self.v6_heads = np.array(sorted({int.from_bytes(b[:4], "big") for b in self.v6_bytes}), dtype=np.uint32)

    def lookup_text(self, token):
        """The address a text token is (dotted, IPv6 in any spelling), or None."""
        try:
            address = ipaddress.ip_address(token)
        except ValueError:
            return None
        if address.version == 4:
            return self.v4.get(int(address))
        if int(address) in self.v6:
            return self.v6[int(address)]
        for embedded in (address.ipv4_mapped, address.sixtofour):
            if embedded is not None and int(embedded) in self.v4:
                return self.v4[int(embedded)]
        # ::a.b.c.d (IPv4-compatible, deprecated) and ::ffff:0:a.b.c.d (translated)
        low = int(address) & 0xFFFFFFFF
        if int(address) >> 32 in (0, 0xFFFF0000) and low in self.v4:
            return self.v4[low]
        return None


_TEXT_TOKEN = re.compile(
    rb"(?<![0-9A-Za-z.:])("
    rb"\d{1,3}(?:\.\d{1,3}){3}(?![0-9])"                       # dotted quad
    rb"|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*[0-9A-Fa-f]"  # anything IPv6-shaped
    rb"|\d{8,10}(?![0-9])"                                      # an IPv4 address as an integer
    rb")")


def text_hits(data, needles):
    """[(offset, form, address)] of every text form in `data` (bytes)."""
    hits = []
    for match in _TEXT_TOKEN.finditer(data):
        token = match.group(1)
        if token.isdigit():
            value = int(token)
            if value in needles.v4 and value >= 1 << 24:
                hits.append((match.start(), "decimal integer", needles.v4[value]))
            continue
        text = token.decode("ascii")
        candidates = [text]
        if ":" in text:
            # A port or a trailing field after the address: "2600::1:8080" cannot be split
            # for sure, so the token and its prefixes up to each colon are all tried.
            parts = text.split(":")
            candidates += [":".join(parts[:i]) for i in range(len(parts) - 1, 2, -1)]
        for candidate in candidates:
            found = needles.lookup_text(candidate)
            if found:
                hits.append((match.start(), "text", found))
                break
    return hits


def _windows(buffer):
    """Every 4-byte window of `buffer` as a big-endian uint32 (index = offset)."""
    a = np.frombuffer(buffer, dtype=np.uint8).astype(np.uint32)
    if len(a) < 4:
        return np.zeros(0, dtype=np.uint32)
    return (a[:-3] << 24) | (a[1:-2] << 16) | (a[2:-1] << 8) | a[3:]


def _sparse(packed):
    """16 bytes that turn up by chance in binary files: fewer than 4 bytes other than 00 and
    ff ("1::", "2001::1", "2a00:8000::1", "ffff:…:ffff", ::ffff:255.255.255.255; measured:
    58 877 hits of 1:: and 57 960 of the all-ones address in PostgreSQL's catalog files, 8 of
    2001::1 in its WAL), or eight groups below 0x100 ("1:2:3:4:5:6:7:0", a run of small
    16-bit numbers: 14 hits in PostgreSQL's WAL of a full test run). Addresses like these are
    searched as text in such files, not as bytes."""
    informative = sum(1 for byte in packed if byte not in (0, 0xFF))
    small_groups = all(packed[index] == 0 for index in range(0, 16, 2))
    return informative < 4 or small_groups


def byte_hits(data, needles, four_bytes):
    """[(offset, form, address)] of raw binary forms in `data`: 16-byte IPv6 and IPv4-mapped
    always, 4-byte IPv4 (both byte orders) when `four_bytes`. Without `four_bytes` (binary
    data files), addresses whose 16 bytes turn up by chance are left out too (see _sparse);
    their text forms are still searched."""
    hits = []
    for start in range(0, max(1, len(data)), CHUNK):
        chunk = data[start:start + CHUNK + 15]
        w = _windows(chunk)
        if not len(w):
            continue
        limit = min(len(w), CHUNK)
        if four_bytes:
            for array, order in ((needles.be4, "big"), (needles.le4, "little")):
                for offset in np.nonzero(np.isin(w[:limit], array))[0]:
                    value = int.from_bytes(chunk[offset:offset + 4], order)
                    hits.append((start + int(offset), f"4 bytes ({order}-endian)", needles.v4[value]))
        for offset in np.nonzero(np.isin(w[:limit], needles.v6_heads))[0]:
            candidate = bytes(chunk[offset:offset + 16])
            if candidate in needles.v6_bytes and (four_bytes or not _sparse(candidate)):
                hits.append((start + int(offset), "16 bytes (IPv6)", needles.v6_bytes[candidate]))
        for offset in np.nonzero(w[:limit] == 0x0000FFFF)[0]:
            head = int(offset) - 8
            if head >= 0 and chunk[head:head + 8] == b"\0" * 8 and offset + 8 <= len(chunk):
                value = int.from_bytes(chunk[offset + 4:offset + 8], "big")
                if value in needles.v4 and (four_bytes or not _sparse(bytes(chunk[head:head + 16]))):
                    hits.append((start + head, "16 bytes (IPv4-mapped IPv6)", needles.v4[value]))
    return hits


def _context(data, offset):
    piece = data[max(0, offset - 40):offset + 40]
    return piece.decode("latin-1").encode("unicode_escape").decode("ascii")


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return Needles(json.load(handle))


def _report(label, hits, shown=20):
    for where, offset, form, address, context in hits[:shown]:
        print(f"    HIT {label}: {where} @{offset}: {form} of {address}: …{context}…")
    if len(hits) > shown:
        print(f"    … and {len(hits) - shown} more; all hits by form and address:")
        counts = {}
        for hit in hits:
            counts[(hit[2], hit[3])] = counts.get((hit[2], hit[3]), 0) + 1
        for (form, address), count in sorted(counts.items(), key=lambda item: -item[1])[:shown]:
            print(f"      {count} × {form} of {address}")


def scan_files(label, paths, needles, four_bytes):
    """Searches every regular file under `paths`; prints hits; returns (files, bytes, hits)."""
    files = total = 0
    hits = []
    for top in paths:
        walk = [(os.path.dirname(top), [], [os.path.basename(top)])] if os.path.isfile(top) else os.walk(top)
        for directory, _dirs, names in walk:
            for name in names:
                path = os.path.join(directory, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue  # sockets, fifos; a symlinked directory is walked where it lives
                try:
                    with open(path, "rb") as handle:
                        data = handle.read()
                except OSError as error:
                    print(f"    cannot read {path}: {error}")
                    hits.append((path, 0, "unreadable", "-", ""))
                    continue
                files += 1
                total += len(data)
                for offset, form, address in text_hits(data, needles) + byte_hits(data, needles, four_bytes):
                    hits.append((path, offset, form, address, _context(data, offset)))
    _report(label, hits)
    return files, total, hits


# ---------------------------------------------------------------------------- Avro events

class AvroError(Exception):
    pass


def _long(data, position):
    """An Avro long at `position`: (value, next position); the load test's reader."""
    try:
        return _zigzag(data, position)
    except ValueError as error:
        raise AvroError(str(error)) from None


def _decode(schema, data, position, named, out):
    """Walks one Avro value of `schema`, appending every string/bytes (as bytes) and number
    to `out`; returns the next position."""
    if isinstance(schema, list):
        index, position = _long(data, position)
        if not 0 <= index < len(schema):
            raise AvroError("union index out of range")
        return _decode(schema[index], data, position, named, out)
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "record":
            named[schema["name"]] = schema
            for field in schema["fields"]:
                position = _decode(field["type"], data, position, named, out)
            return position
        if kind == "enum":
            index, position = _long(data, position)
            return position
        if kind in ("array", "map"):
            while True:
                count, position = _long(data, position)
                if count == 0:
                    return position
                if count < 0:
                    _size, position = _long(data, position)
                    count = -count
                for _ in range(count):
                    if kind == "map":
                        position = _decode("string", data, position, named, out)
                    position = _decode(schema["items" if kind == "array" else "values"], data, position, named, out)
        if kind == "fixed":
            out.append(bytes(data[position:position + schema["size"]]))
            return position + schema["size"]
        return _decode(kind, data, position, named, out)
    if schema in named:
        return _decode(named[schema], data, position, named, out)
    if schema == "null":
        return position
    if schema == "boolean":
        return position + 1
    if schema in ("int", "long"):
        value, position = _long(data, position)
        out.append(value)
        return position
    if schema in ("float", "double"):
        size = 4 if schema == "float" else 8
        out.append(struct.unpack("<f" if size == 4 else "<d", data[position:position + size])[0])
        return position + size
    if schema in ("string", "bytes"):
        length, position = _long(data, position)
        if length < 0 or position + length > len(data):
            raise AvroError("bad length")
        out.append(bytes(data[position:position + length]))
        return position + length
    raise AvroError(f"unknown type {schema!r}")


def scan_kafka(label, dump_path, schemas_path, needles):
    """A topic dump written by kcat -f '%K\\t%S\\t%p\\t%o\\n%k%s' (lengths, then the raw key
    and value). Keys are searched raw in every form; a Confluent-framed Avro value is decoded
    with its schema (from the registry) and every string and number of it is searched; any
    other value (the enriched topic's JSON) is text and searched raw in every form. The
    pieces are searched together, joined by a separator no form matches across.
    Returns (messages, avro_decoded, hits)."""
    with open(schemas_path, encoding="utf-8") as handle:
        schemas = {int(k): json.loads(v) for k, v in json.load(handle).items()}
    with open(dump_path, "rb") as handle:
        data = handle.read()
    position = messages = decoded = 0
    hits = []
    blob, starts, wheres, undecodable = bytearray(), [], [], []
    separator = b"\n\xfe\xfd\xfe\xfd\xfe\xfd\xfe\xfd\xfe\xfd\xfe\xfd\xfe\xfd\xfe\n"

    def add(piece, where):
        starts.append(len(blob))
        wheres.append(where)
        blob.extend(piece)
        blob.extend(separator)

    while position < len(data):
        newline = data.index(b"\n", position)
        key_length, value_length, partition, offset = (int(x) for x in data[position:newline].split(b"\t"))
        position = newline + 1
        key = data[position:position + max(0, key_length)]
        position += max(0, key_length)
        value = data[position:position + max(0, value_length)]
        position += max(0, value_length)
        messages += 1
        where = f"partition {partition} offset {offset}"
        add(key, where + " key")
        if len(value) > 5 and value[0] == 0 and int.from_bytes(value[1:5], "big") in schemas:
            fields = []
            try:
                end = _decode(schemas[int.from_bytes(value[1:5], "big")], value, 5, {}, fields)
                if end != len(value):
                    raise AvroError(f"{len(value) - end} bytes after the record")
            except (AvroError, IndexError, struct.error) as error:
                # Tests put malformed messages in the topic on purpose: searched whole.
                undecodable.append(f"{where} ({error})")
                add(value, where + " value")
                continue
            decoded += 1
            for field in fields:
                if isinstance(field, bytes):
                    add(field, where + " value field")
                elif isinstance(field, int) and field in needles.v4:
                    hits.append((where, 0, "an Avro number equal to an IPv4 address", needles.v4[field], ""))
        else:
            add(value, where + " value")
    blob = bytes(blob)
    for offset, form, address in text_hits(blob, needles) + byte_hits(blob, needles, True):
        index = bisect.bisect_right(starts, offset) - 1
        hits.append((wheres[index], offset - starts[index], form, address, _context(blob, offset)))
    _report(label, hits)
    if undecodable:
        print(f"    {label}: {len(undecodable)} values not decodable with their schema, searched whole: "
              f"{', '.join(undecodable[:5])}")
    return messages, decoded, hits


# ---------------------------------------------------------------------------- command line

def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "addresses":
        found = collect_addresses(argv[3:])
        with open(argv[2], "w", encoding="utf-8") as handle:
            json.dump(found, handle, indent=1, sort_keys=True)
        versions = [ipaddress.ip_address(a).version for a in found]
        sources = sorted({s.split(" ")[0] for s in found.values()})
        print(f"    {versions.count(4)} IPv4 and {versions.count(6)} IPv6 test client addresses from "
              f"{len(sources)} files")
        return 0 if versions.count(4) and versions.count(6) else 1
    if command == "text-and-bytes":
        label, needles_file, four = argv[2], argv[3], argv[4] == "with-4-bytes"
        files, total, hits = scan_files(label, argv[5:], _load(needles_file), four)
        print(f"    {label}: {files} files, {total / 1e6:.1f} MB searched"
              f"{'' if four else ' (text and 16-byte forms)'}: {len(hits)} hits")
        return 1 if hits or files == 0 or total == 0 else 0
    if command == "kafka":
        label, needles_file, dump, schemas = argv[2:6]
        messages, decoded, hits = scan_kafka(label, dump, schemas, _load(needles_file))
        print(f"    {label}: {messages} messages ({decoded} Avro values decoded field by field): {len(hits)} hits")
        return 1 if hits else 0
    if command == "contains":
        # A session id is text in dumps and logs, 16 raw bytes in a uuid column's data file.
        needles = [argv[2].encode()]
        try:
            needles.append(uuid.UUID(argv[2]).bytes)
        except ValueError:
            pass
        for path in argv[3:]:
            walk = [(os.path.dirname(path), [], [os.path.basename(path)])] if os.path.isfile(path) else os.walk(path)
            for directory, _dirs, names in walk:
                for name in names:
                    full = os.path.join(directory, name)
                    if os.path.isfile(full) and not os.path.islink(full):
                        with open(full, "rb") as handle:
                            data = handle.read()
                        if any(needle in data for needle in needles):
                            return 0
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
