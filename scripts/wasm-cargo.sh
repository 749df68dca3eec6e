#!/usr/bin/env bash
# Runs cargo for wasm32-unknown-unknown: `scripts/wasm-cargo.sh build -p clouddigit-wasm ...`.
#
# Prefers the ordinary path (a rustup toolchain with the wasm32 target). Where rustup
# cannot download the target, falls back to Debian's rustc-web (Rust with its std
# source) and builds std itself with -Zbuild-std, linking with a wasm-capable lld.
# CLOUDDIGIT_WASM_TOOLCHAIN=rustup|debian forces one path (CI uses it to test both).
set -euo pipefail

target=wasm32-unknown-unknown
mode=${CLOUDDIGIT_WASM_TOOLCHAIN:-}

has_rustup_target() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$target"
}

if [ -z "$mode" ]; then
  # scripts/bootstrap.sh has already tried `rustup target add`; don't wait on it again.
  if has_rustup_target; then
    mode=rustup
  else
    mode=debian
  fi
fi

# CLOUDDIGIT_WASM_SIZE=min (scripts/build-npm.sh: the package users download) rebuilds
# std with the crate for size: panics become immediate aborts (the code never panics on
# input, and a panic aborted the module already) and std picks its smaller algorithms.
# Measured: 294 KB -> 272 KB gzipped. It needs std's source (Debian's rust-web-src, or
# rustup's rust-src component); without one the build is the ordinary, larger one.
size=${CLOUDDIGIT_WASM_SIZE:-}
debian_ready() { [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src ]; }
rustup_src() { [ -d "$(rustc --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library" ]; }
size_flags=(-Zbuild-std-features=optimize_for_size)
# -Zshare-generics: the crates (core, session, ffi, the bindings) share one copy of each
# generic instantiation instead of one per crate, which fat LTO does not merge. Measured
# when the client moved into its own crate: 289,680 -> 257,557 bytes gzipped.
size_rustflags="-Zunstable-options -Cpanic=immediate-abort -Zshare-generics=y"
if [ "$size" = min ] && [ "$mode" = rustup ] && [ -z "${CLOUDDIGIT_WASM_TOOLCHAIN:-}" ] \
   && ! rustup_src && debian_ready; then
  mode=debian
fi

find_wasm_lld() {
  local c
  for c in /usr/bin/rust-lld /usr/bin/wasm-ld /usr/bin/wasm-ld-22 /usr/lib/llvm-22/bin/wasm-ld \
           "$(rustc --print sysroot 2>/dev/null)/lib/rustlib/$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')/bin/rust-lld"; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}

# The test runner is the same for both paths.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER:-wasm-bindgen-test-runner}

case "$mode" in
  rustup)
    if [ "$size" = min ]; then
      if rustup_src; then
        export RUSTC_BOOTSTRAP=1 RUSTFLAGS="${RUSTFLAGS:-} $size_rustflags"
        sub=$1; shift
        exec cargo "$sub" --target "$target" -Zbuild-std=std,panic_abort "${size_flags[@]}" "$@"
      fi
      echo "wasm-cargo: no std source (rustup component add rust-src): the package is built without rebuilding std, larger" >&2
    fi
    exec cargo "$@" --target "$target"
    ;;
  debian)
    debian_ready || {
      echo "wasm-cargo: no rustup wasm32 target and no Debian rustc-web; run scripts/bootstrap.sh" >&2
      exit 2
    }
    lld=$(find_wasm_lld) || { echo "wasm-cargo: no wasm-capable lld found (install lld-22)" >&2; exit 2; }
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$lld"
    extra=()
    if [ "$size" = min ]; then
      export RUSTFLAGS="${RUSTFLAGS:-} $size_rustflags"
      extra=("${size_flags[@]}")
    fi
    sub=$1; shift
    exec /usr/bin/cargo "$sub" --target "$target" -Zbuild-std=std,panic_abort "${extra[@]}" "$@"
    ;;
  *)
    echo "wasm-cargo: CLOUDDIGIT_WASM_TOOLCHAIN must be rustup or debian, not '$mode'" >&2
    exit 2
    ;;
esac
