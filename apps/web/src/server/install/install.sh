#!/bin/sh
# Installs the Flock agent from the console at __CONSOLE__, which serves this script:
#   curl -fsSL __CONSOLE__/install.sh | sh -s -- CODE [--no-service] [--fingerprint sha256//...]
# It checks Node.js, downloads the agent and its launcher to a temporary directory, checks their
# SHA-256, then runs `flock-agent install`: it places them, pairs with the console and installs the
# service (or undoes all of it). Running it again upgrades the agent in place.
set -eu

CONSOLE='__CONSOLE__'
PIN='__PIN__'
VERSION='__VERSION__'
MIN_NODE='__MIN_NODE__'
AGENT_URL='__AGENT_URL__'
AGENT_SHA256='__AGENT_SHA256__'
LAUNCHER_URL='__LAUNCHER_URL__'
LAUNCHER_SHA256='__LAUNCHER_SHA256__'
USAGE='usage: curl -fsSL '"$CONSOLE"'/install.sh | sh -s -- CODE [--no-service]'

fail() {
  printf 'flock install: %s\n' "$*" >&2
  exit 1
}

# True when version $1 (v20.19.1) is at least $2 (20.19.0).
at_least() {
  have=${1#v}
  need=$2
  saved_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086
  set -- $have
  h1=${1:-0} h2=${2:-0} h3=${3:-0}
  # shellcheck disable=SC2086
  set -- $need
  IFS=$saved_ifs
  h3=${h3%%[!0-9]*}
  [ "$h1" -ne "$1" ] && { [ "$h1" -gt "$1" ]; return; }
  [ "$h2" -ne "$2" ] && { [ "$h2" -gt "$2" ]; return; }
  [ "${h3:-0}" -ge "$3" ]
}

check_node() {
  command -v node >/dev/null 2>&1 ||
    fail "Node.js $MIN_NODE or newer is needed and there is no node on the PATH: install it (https://nodejs.org), then run this again"
  node_version=$(node --version 2>/dev/null) || fail "node is on the PATH but does not run; Node.js $MIN_NODE or newer is needed"
  case $node_version in
  v[0-9]*.[0-9]*.[0-9]*) ;;
  *) fail "node --version printed \"$node_version\"; Node.js $MIN_NODE or newer is needed" ;;
  esac
  at_least "$node_version" "$MIN_NODE" ||
    fail "Node.js $node_version is too old: the agent needs Node.js $MIN_NODE or newer (https://nodejs.org)"
}

# fetch PATH FILE: one file from the console (the certificate pinned when there is a pin).
fetch() {
  if [ -n "$PIN" ]; then
    curl -fsSL -k --pinnedpubkey "$PIN" -o "$2" "$CONSOLE$1"
  else
    curl -fsSL -o "$2" "$CONSOLE$1"
  fi || fail "could not download $CONSOLE$1 (is the console running and reachable from here?); nothing was installed"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    node -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$1"
  fi
}

verify() {
  actual=$(sha256_of "$1")
  [ "$actual" = "$2" ] ||
    fail "$(basename "$1") from the console does not match its SHA-256 (expected $2, got $actual): it was changed on the way or on the console; nothing was installed"
}

main() {
  code=''
  no_service=''
  while [ $# -gt 0 ]; do
    case $1 in
    --no-service) no_service=1 ;;
    --fingerprint)
      [ $# -ge 2 ] || fail "--fingerprint needs a value ($USAGE)"
      PIN=$2
      shift
      ;;
    -*) fail "unknown option $1 ($USAGE)" ;;
    *)
      [ -z "$code" ] || fail "one pairing code only ($USAGE)"
      code=$1
      ;;
    esac
    shift
  done
  [ -n "$code" ] || fail "the pairing code is missing: copy the whole command from the console's \"Add machine\""
  check_node
  command -v curl >/dev/null 2>&1 || fail "curl is needed to download the agent"
  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t flock-install) || fail "cannot create a temporary directory"
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 1' HUP INT TERM
  printf 'flock install: downloading the Flock agent %s from %s\n' "$VERSION" "$CONSOLE"
  fetch "$AGENT_URL" "$tmp/flock-agent.mjs"
  verify "$tmp/flock-agent.mjs" "$AGENT_SHA256"
  fetch "$LAUNCHER_URL" "$tmp/launcher.mjs"
  verify "$tmp/launcher.mjs" "$LAUNCHER_SHA256"
  set -- install --console "$CONSOLE" --code "$code"
  [ -z "$PIN" ] || set -- "$@" --fingerprint "$PIN"
  [ -z "$no_service" ] || set -- "$@" --no-service
  node "$tmp/flock-agent.mjs" "$@" </dev/null || fail "the install did not finish (see above)"
}

# Everything runs from here, once the whole script has arrived: a download cut short runs nothing.
main "$@"
