"""Reads the sanitizer logs of scripts/sanitize (one file per process, from log_path) and
exits 1 after printing every report that is not a known leak of sanitizers/lsan-known.txt.

usage: reports.py LOG_DIR KNOWN_FILE

LeakSanitizer reports are split into their leaks ("Direct leak of ..." / "Indirect leak of
..."); a leak whose first frame above the allocator is a known site (library+offset and
BuildId) is counted as known, anything else is a finding. Every other report (an
AddressSanitizer error, a ThreadSanitizer warning, UBSan's "runtime error") is a finding.
"""

import pathlib
import re
import sys

FRAME = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+ .*?\(([^()]*?)\+(0x[0-9a-f]+)\)(?: \(BuildId: ([0-9a-f]+)\))?")
FINDING = re.compile(r"ERROR: AddressSanitizer|WARNING: ThreadSanitizer|ERROR: ThreadSanitizer|runtime error:")


def known_sites(path):
    sites = set()
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            site, build_id = line.split()
            sites.add((site, build_id))
    return sites


def leak_site(paragraph):
    """The first frame above the allocator (frame #1) as (library+offset, BuildId)."""
    for line in paragraph.splitlines():
        match = FRAME.match(line)
        if match and match.group(1) == "1":
            library = match.group(2).rsplit("/", 1)[-1]
            return (f"{library}+{match.group(3)}", match.group(4) or "")
    return None


def main():
    log_dir, known_file = sys.argv[1], sys.argv[2]
    sites = known_sites(known_file)
    findings = 0
    known = 0
    used = {}
    for path in sorted(pathlib.Path(log_dir).glob("?san.*")):
        text = path.read_text(errors="replace")
        # What the suppression files hid, from LeakSanitizer's "Suppressions used:" table
        # ("count bytes template") and ThreadSanitizer's "Matched N suppressions" list ("N type:name").
        for match in re.finditer(r"^\s+(\d+)\s+\d+ (\S+)$|^\s*(\d+) (\w+:\S+)$", text, re.M):
            count, name = (match.group(1), "leak:" + match.group(2)) if match.group(1) else match.group(3, 4)
            used[name] = used.get(name, 0) + int(count)
        if FINDING.search(text):
            findings += 1
            print(f"---- {path}\n{text}")
            continue
        if "ERROR: LeakSanitizer" not in text:
            continue
        paragraphs = re.split(r"\n\s*\n", text)
        leaks = [p for p in paragraphs if re.match(r"\s*(Direct|Indirect) leak of", p)]
        unknown = [p for p in leaks if leak_site(p) not in sites]
        known += len(leaks) - len(unknown)
        if unknown or not leaks:
            findings += 1
            print(f"---- {path} (leaks not in {known_file})")
            print("\n\n".join(unknown) if unknown else text)
    for name, count in sorted(used.items()):
        print(f"suppressed {count}x: {name}")
    print(f"sanitizer logs: {findings} finding(s), {known} known leak(s) of lsan-known.txt")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
