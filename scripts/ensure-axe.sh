#!/usr/bin/env bash
# Make sure axe-core (the accessibility rules engine) is installed project-locally.
# Prints the path of `axe.min.js` on stdout; all messages go to stderr.
# Override with AXE=/path/to/axe.min.js. Installed once into .var/axe with npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${AXE_VERSION:-4.14.1}"
PREFIX="$ROOT/.var/axe"
FILE="$PREFIX/node_modules/axe-core/axe.min.js"
LOG="$ROOT/.var/axe-install.log"

say() { printf '%s\n' "$*" >&2; }

if [[ -n "${AXE:-}" && -f "${AXE}" ]]; then
    printf '%s\n' "$AXE"
    exit 0
fi
if [[ -n "${AXE:-}" ]]; then
    say "AXE is set to $AXE but no such file exists: point it at axe.min.js, or unset it to install axe-core into .var/axe."
    exit 1
fi
if [[ -f "$FILE" ]]; then
    printf '%s\n' "$FILE"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    say "axe-core is needed by the accessibility tests and npm is missing: install Node.js 18+ with npm (e.g. \`apt-get install npm\`), or set AXE=/path/to/axe.min.js."
    exit 1
fi
mkdir -p "$PREFIX"
say "Installing axe-core@$VERSION into .var/axe (log in $LOG) ..."
if ! npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error \
        "axe-core@$VERSION" >"$LOG" 2>&1; then
    say "npm install axe-core failed: see $LOG (last lines below)."
    tail -n 15 "$LOG" >&2 || true
    exit 1
fi
if [[ ! -f "$FILE" ]]; then
    say "npm installed axe-core but $FILE does not exist: see $LOG."
    exit 1
fi
say "axe-core installed at $FILE."
printf '%s\n' "$FILE"
