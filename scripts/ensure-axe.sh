#!/usr/bin/env bash
# Make sure axe-core (the accessibility rules engine) is installed project-locally.
# Prints the path of `axe.min.js` on stdout; all messages go to stderr.
# Override with AXE=/path/to/axe.min.js. Installed once into .var/axe with npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/npm-package.sh
source "$ROOT/scripts/npm-package.sh"

if [[ -n "${AXE:-}" && -f "${AXE}" ]]; then
    printf '%s\n' "$AXE"
    exit 0
fi
if [[ -n "${AXE:-}" ]]; then
    printf '%s\n' "AXE is set to $AXE but no such file exists: point it at axe.min.js, or unset it to install axe-core into .var/axe." >&2
    exit 1
fi
npm_package_ensure axe axe-core "${AXE_VERSION:-4.14.1}" "$ROOT/.var/axe" \
    "$ROOT/.var/axe/node_modules/axe-core/axe.min.js" "the accessibility tests" AXE
