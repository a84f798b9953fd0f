#!/usr/bin/env bash
# Make sure the Prism mock server (@stoplight/prism-cli) is installed project-locally.
# Prints the path of the `prism` binary on stdout; all messages go to stderr.
# Override with PRISM=/path/to/prism. Installed once into .var/prism with npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${PRISM_VERSION:-5.16.0}"
PREFIX="$ROOT/.var/prism"
BIN="$PREFIX/node_modules/.bin/prism"
LOG="$ROOT/.var/prism-install.log"

say() { printf '%s\n' "$*" >&2; }

if [[ -n "${PRISM:-}" && -x "${PRISM}" ]]; then
    printf '%s\n' "$PRISM"
    exit 0
fi
if [[ -x "$BIN" ]]; then
    printf '%s\n' "$BIN"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    say "Prism is needed by the Twilio contract tests and npm is missing: install Node.js 18+ with npm (e.g. \`apt-get install npm\`), or set PRISM=/path/to/prism."
    exit 1
fi
mkdir -p "$PREFIX"
say "Installing @stoplight/prism-cli@$VERSION into .var/prism (log in $LOG) ..."
if ! npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error \
        "@stoplight/prism-cli@$VERSION" >"$LOG" 2>&1; then
    say "npm install @stoplight/prism-cli failed: see $LOG (last lines below)."
    tail -n 15 "$LOG" >&2 || true
    exit 1
fi
if [[ ! -x "$BIN" ]]; then
    say "npm installed @stoplight/prism-cli but $BIN does not exist: see $LOG."
    exit 1
fi
say "Prism installed at $BIN."
printf '%s\n' "$BIN"
