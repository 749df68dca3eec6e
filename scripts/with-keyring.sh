#!/usr/bin/env bash
# Runs a command with a real, throwaway OS keychain: a private D-Bus session bus
# (dbus-run-session) with gnome-keyring-daemon's Secret Service on it, its 'login'
# collection created and unlocked, so reads and writes never prompt. Works as root and
# without a display. The keyring lives in a temporary XDG_DATA_HOME, removed afterwards;
# HOME is left alone (cargo, rustup and npm find their caches there).
#
#   scripts/with-keyring.sh cargo test -p clouddigit-keychain
#   scripts/with-keyring.sh secret-tool lookup service clouddigit username default
#   keychain/interop/interop.sh   (Rust, secret-tool and Node on one entry; uses this)
#
# Needs Debian's gnome-keyring, dbus-daemon (dbus-run-session) and dbus-bin (dbus-send);
# libsecret-tools (secret-tool) for looking at entries by hand. scripts/bootstrap.sh
# installs them. Exits with the command's status.
set -euo pipefail

die() { printf 'with-keyring: %s\n' "$*" >&2; exit 1; }

if [ "${1:-}" != "--inner" ]; then
  [ $# -gt 0 ] || die "usage: scripts/with-keyring.sh CMD [ARGS...]"
  for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/bootstrap.sh)"
  done
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/clouddigit-keyring.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir -m 700 "$tmp/data" "$tmp/run"
  # gnome-keyring keeps keyrings in $XDG_DATA_HOME/keyrings and its control socket
  # under $XDG_RUNTIME_DIR; both are private to this run.
  export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run"
  status=0
  dbus-run-session -- "$0" --inner "$@" || status=$?
  exit "$status"
fi
shift

bus_call() {
  dbus-send --session --print-reply=literal --dest="$1" "$2" "$3" "${@:4}"
}

# --unlock reads the password from stdin and unlocks the 'login' collection, creating it
# (as the default collection) if there is none; nothing else can prompt after that.
# --components=secrets: no SSH or PKCS#11 agents. It forks and prints its environment
# (GNOME_KEYRING_CONTROL=...); export it for clients that look for it.
daemon_env=$(printf '%s' "clouddigit-test-keyring" \
  | gnome-keyring-daemon --unlock --components=secrets) || die "gnome-keyring-daemon failed to start"
while IFS='=' read -r name value; do
  case "$name" in GNOME_KEYRING_CONTROL|GNOME_KEYRING_PID) export "$name=$value" ;; esac
done <<<"$daemon_env"

# Wait for the Secret Service to own its bus name.
for _ in $(seq 1 50); do
  bus_call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
daemon_pid=$(bus_call org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null \
  | awk '{print $NF}') || die "the Secret Service did not appear on the session bus"

# Writes go to the 'default' alias: it must name an unlocked collection, or a client's
# first write would ask a prompter (there is no display) and hang or fail.
default=$(bus_call org.freedesktop.secrets /org/freedesktop/secrets \
  org.freedesktop.Secret.Service.ReadAlias string:default | awk '{print $NF}')
[ -n "$default" ] && [ "$default" != "/" ] || die "gnome-keyring has no default collection"

# Tells the keychain tests (keychain/src/lib.rs) that writing is safe here.
export CLOUDDIGIT_TEST_KEYRING=1
status=0
"$@" || status=$?

# The daemon would leave when the bus closes; stop it first so that nothing is writing
# to the keyring directory when the outer shell removes it.
if [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null; then
  for _ in $(seq 1 50); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
fi
exit "$status"
