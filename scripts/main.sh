#!/usr/bin/env bash
# The README's main command. For now: build the npm package and use it to parse an
# allow-list and check addresses against it. Arguments go to the example:
#   scripts/main.sh ['<allowed IPs>' ip ...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/bootstrap.sh main >&2
scripts/build-npm.sh >&2
if [ $# -eq 0 ]; then
  set -- '203.0.113.0/24, 2001:db8::/32, 203.0.113.9' 203.0.113.7 2001:db8::1 192.0.2.1
fi
exec node examples/allowed_ips.mjs "$@"
