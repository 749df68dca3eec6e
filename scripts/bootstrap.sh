#!/usr/bin/env bash
# Installs what building and testing clouddigit needs, idempotently: a second run on a
# ready machine checks and returns in seconds.
#
#   scripts/bootstrap.sh            everything the test command needs
#   scripts/bootstrap.sh main       only what the README's main command needs
#
# Installs: the wasm32 target (rustup's where it can be had, else Debian's rustc-web +
# rust-web-src + lld for -Zbuild-std), wasm-bindgen-cli of exactly the locked version,
# rustfmt and clippy, maturin, npm dependencies, Chromium and chromedriver.
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-all}

log() { printf '[bootstrap] %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PATH"

apt_missing=()
need_apt() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$1"); }
apt_install() {
  [ ${#apt_missing[@]} -eq 0 ] && return 0
  log "apt-get install ${apt_missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  apt_missing=()
}

# --- Rust toolchain pieces -------------------------------------------------------
command -v cargo >/dev/null || { echo "bootstrap: cargo not found; install Rust (rustup) first" >&2; exit 1; }
# A C compiler: the sandbox's bundled SQLite and its test client's TLS (ring) build C code.
command -v cc >/dev/null || { need_apt gcc; need_apt libc6-dev; }
if command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi

# wasm32: prefer rustup's target; fall back to Debian's Rust with its std source.
wasm_target=wasm32-unknown-unknown
if command -v rustup >/dev/null && rustup target list --installed | grep -qx "$wasm_target"; then
  log "wasm32 target: rustup"
elif command -v rustup >/dev/null && timeout 180 rustup target add "$wasm_target" >/dev/null 2>&1 \
     && rustup target list --installed | grep -qx "$wasm_target"; then
  log "wasm32 target: rustup (just added)"
else
  log "wasm32 target: rustup cannot provide it; using Debian rustc-web + build-std"
  need_apt rustc-web; need_apt cargo-web; need_apt rust-web-src; need_apt lld-22
fi
# The npm package's wasm is built with std rebuilt for size (scripts/wasm-cargo.sh), which
# needs std's source: rustup's rust-src where it can be had, else Debian's rust-web-src.
# Without either the package is about 20 KB gzipped larger, over issue 4's budget.
if command -v rustup >/dev/null && rustup target list --installed | grep -qx "$wasm_target"; then
  sysroot_src="$(rustc --print sysroot)/lib/rustlib/src/rust/library"
  if [ -d "$sysroot_src" ]; then
    :
  elif timeout 180 rustup component add rust-src >/dev/null 2>&1 && [ -d "$sysroot_src" ]; then
    log "std source: rustup rust-src (just added)"
  else
    log "std source: rustup cannot provide rust-src; using Debian rust-web-src for the size build"
    need_apt rustc-web; need_apt cargo-web; need_apt rust-web-src; need_apt lld-22
  fi
fi

# wasm-bindgen-cli must be the exact version of the wasm-bindgen crate in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
[ -n "$wb_version" ] || { echo "bootstrap: wasm-bindgen not found in Cargo.lock" >&2; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "cargo install wasm-bindgen-cli $wb_version (a few minutes, once)"
  # Not --locked: one of its locked dependencies is missing from the registry here.
  cargo install wasm-bindgen-cli --version "$wb_version" --quiet
fi

# --- Node -------------------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "bootstrap: Node.js >= 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi

if [ "$scope" = main ]; then
  apt_install
  log "ready (main)"
  exit 0
fi

# --- Python -----------------------------------------------------------------------
python3 -c 'import sys; assert sys.version_info >= (3, 9)' || { echo "bootstrap: Python >= 3.9 required" >&2; exit 1; }
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt python3-venv
if ! python3 -m maturin --version >/dev/null 2>&1; then
  log "pip install maturin"
  python3 -m pip install --quiet --disable-pip-version-check 'maturin>=1.9,<2'
fi

# --- The S3 tests' TLS proxy makes a self-signed certificate ----------------------
command -v openssl >/dev/null || need_apt openssl

# --- Keychain tests: gnome-keyring's Secret Service on a private bus (scripts/with-keyring.sh)
need_apt gnome-keyring
need_apt libsecret-tools
need_apt dbus-daemon
need_apt dbus-bin

# --- Browser tests ----------------------------------------------------------------
need_apt chromium
need_apt chromium-driver

apt_install
log "ready"
