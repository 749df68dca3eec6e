#!/usr/bin/env bash
# Proves that the Rust crate, libsecret's secret-tool and the Node package
# @napi-rs/keyring read and write one and the same keychain entry (service
# "clouddigit", account = profile), in a throwaway gnome-keyring:
#
#   keychain/interop/interop.sh
#
# Installs @napi-rs/keyring (version below) from the npm registry into a temporary
# directory; needs Node >= 20, cargo, and what scripts/with-keyring.sh needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
napi_keyring_version=2.1.2

if [ "${1:-}" != "--inner" ]; then
  cargo build --quiet --locked -p clouddigit-keychain --example keychain --manifest-path "$root/Cargo.toml"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$here/entry.mjs" "$work/"
  (cd "$work" && echo '{"name":"keychain-interop","private":true,"type":"module"}' > package.json \
    && npm install --silent --no-audit --no-fund "@napi-rs/keyring@$napi_keyring_version")
  target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')
  exec "$root/scripts/with-keyring.sh" "$0" --inner "$target/debug/examples/keychain" "$work/entry.mjs"
fi
rust=$2
node_entry=$3
node() { command node "$node_entry" "$@"; }
passed=0 failed=0
check() { # NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok: $1"
  else failed=$((failed + 1)); echo "FAILED: $1: expected '$2', got '$3'"; fi
}
items() { secret-tool search --all service clouddigit username "$1" 2>&1 | grep -c '^\[/' || true; }

printf 'cd_from_rust' | "$rust" set default
check "Node reads what Rust stored" cd_from_rust "$(node get default)"
check "secret-tool reads what Rust stored" cd_from_rust "$(secret-tool lookup service clouddigit username default)"

printf 'cd_from_node' | node set default
check "Node replaces Rust's item rather than adding one" 1 "$(items default)"
check "Rust reads what Node stored" cd_from_node "$("$rust" get default)"

printf 'cd_node_only' | node set work
check "Rust reads an item Node created (service and username only)" cd_node_only "$("$rust" get work)"
printf 'cd_rust_again' | "$rust" set work
check "Rust replaces Node's item rather than adding one" 1 "$(items work)"
check "Node reads Rust's replacement" cd_rust_again "$(node get work)"

check "Node deletes the entry" 0 "$(node delete default; echo $?)"
check "Rust sees it gone" gone "$("$rust" get default || echo gone)"
check "Rust deletes the entry" 0 "$("$rust" delete work; echo $?)"
check "Node sees it gone" gone "$(node get work || echo gone)"
check "nothing left behind" 0 "$(secret-tool search --all service clouddigit 2>&1 | grep -c '^\[/' || true)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
