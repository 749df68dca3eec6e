"""Parse an "Allowed IPs" field and check addresses against it, with clouddigit.

    python examples/allowed_ips.py '<list>' [ip ...]
"""

import sys

from clouddigit import AllowedIpsError, AllowList, check_allowed_ips


def main(argv: list[str]) -> int:
    text = argv[0] if argv else "203.0.113.0/24, 2001:db8::/32"
    report = check_allowed_ips(text)
    for entry in report.entries:
        print(f"  ok     [{entry.index}] {entry.network}")
    for error in report.errors:
        print(f"  error  [{error.index}] {error.message}")
    for warning in report.warnings:
        print(f"  warn   [{warning.index}] {warning.message}")
    try:
        allow = AllowList(text)
    except AllowedIpsError as err:
        print(f"{err.code}: {len(err.errors)} bad entries", file=sys.stderr)
        return 1
    for ip in argv[1:]:
        print(f"{ip}: {'allowed' if allow.contains(ip) else 'denied'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
