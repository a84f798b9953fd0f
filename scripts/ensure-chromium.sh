#!/usr/bin/env bash
# Make sure a Chromium usable by Playwright/headless tests exists.
# Prints the chromium path on stdout; all messages go to stderr.
# Override the expected path with CHROMIUM=/path/to/chromium.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG="${CHROMIUM_INSTALL_LOG:-$ROOT/.var/chromium-install.log}"

say() { printf '%s\n' "$*" >&2; }

if [[ -x "$CHROMIUM" ]]; then
    printf '%s\n' "$CHROMIUM"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    say "Chromium not found at $CHROMIUM: install it with \`sudo apt-get install chromium\` (or set CHROMIUM=/path/to/chromium)."
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    say "Chromium not found at $CHROMIUM and apt-get is not available: install Chromium with your package manager (or set CHROMIUM=/path/to/chromium)."
    exit 1
fi

mkdir -p "$(dirname "$LOG")"
say "Chromium not found: installing it with apt-get (a minute or two; log in $LOG) ..."
if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation; } >"$LOG" 2>&1; then
    say "Installing Chromium with apt-get failed: see $LOG (last lines below)."
    tail -n 15 "$LOG" >&2 || true
    exit 1
fi

if [[ ! -x "$CHROMIUM" ]]; then
    say "apt-get installed chromium but $CHROMIUM still does not exist: see $LOG."
    exit 1
fi
say "Chromium installed at $CHROMIUM."
printf '%s\n' "$CHROMIUM"
