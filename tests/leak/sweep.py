#!/usr/bin/env python3
"""The leak sweep: every secret the test suite issued, searched for in everything the
suite wrote.

The sandboxes the suite started wrote each secret they issued to
$CLOUDDIGIT_LEAK_DIR/issued/*.txt (sandbox/src/leak.rs). This reads them all, then every
other file under $CLOUDDIGIT_LEAK_DIR (the suite's own output, each sandbox's output,
audit events and database, the SDKs' CD_LOG=debug output, CLI output, error messages,
the console's page text) and any extra paths given, looking for each secret in full and
percent-encoded (`cd%5F...`, as it would sit in a URL or a form). The one place a secret
may appear is the single answer that shows it once, which no log, file or page keeps.

Prints how many secrets it checked and where it looked; exits 1 on any find, naming the
file, the offset and the secret's prefix only.

Usage: tests/leak/sweep.py [EXTRA_PATH...]
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from pathlib import Path

# Any text that could be a secret of the three kinds, in plain or percent-encoded form:
# candidates are cut out by shape and then looked up, so the sweep reads each file once
# however many secrets there are.
CANDIDATE = re.compile(rb"(?:cd|cdcs|cdsk)(?:_|%5[Ff])[A-Za-z0-9]{20,60}")


def secrets(issued: Path) -> set[str]:
    out: set[str] = set()
    for f in sorted(issued.glob("*.txt")):
        out.update(line.strip() for line in f.read_text().splitlines() if line.strip())
    return out


def files(roots: list[Path], skip: Path) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
            continue
        for dirpath, _dirs, names in os.walk(root):
            d = Path(dirpath)
            if d == skip or skip in d.parents:
                continue
            found.extend(d / n for n in names)
    return sorted(set(found))


def main() -> int:
    leak_dir = Path(os.environ.get("CLOUDDIGIT_LEAK_DIR", "target/leak-sweep"))
    issued_dir = leak_dir / "issued"
    wanted = secrets(issued_dir)
    if not wanted:
        print(f"leak sweep: no issued secrets under {issued_dir}: nothing was collected", file=sys.stderr)
        return 1
    by_form: dict[str, str] = {}
    for s in wanted:
        by_form[s] = s
        by_form[s.replace("_", "%5F", 1)] = s
        by_form[s.replace("_", "%5f", 1)] = s
        by_form[urllib.parse.quote(s, safe="")] = s
    roots = [leak_dir] + [Path(p) for p in sys.argv[1:]]
    paths = files(roots, issued_dir)
    finds: list[str] = []
    total = 0
    kinds: dict[str, int] = {}
    for p in paths:
        try:
            data = p.read_bytes()
        except OSError:
            continue
        total += len(data)
        kind = p.suffix or p.name
        kinds[kind] = kinds.get(kind, 0) + 1
        for m in CANDIDATE.finditer(data):
            text = m.group().decode()
            # The candidate may run on past the secret (more letters after it): try each
            # secret length that could start here.
            for n in (45, 46, 47, 48, 49, 50, 51, 52):
                s = by_form.get(text[:n])
                if s is not None:
                    finds.append(f"{p}: offset {m.start()}: {s[:9]}… ({'percent-encoded' if '%' in text[:n] else 'in full'})")
                    break
    print(
        f"leak sweep: {len(wanted)} issued secrets (tokens, client secrets, access-key secrets) "
        f"searched for in full and percent-encoded in {len(paths)} files, {total / 1e6:.1f} MB "
        f"({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}): {len(finds)} found"
    )
    for f in finds[:50]:
        print(f"  LEAK {f}", file=sys.stderr)
    return 1 if finds else 0


if __name__ == "__main__":
    sys.exit(main())
