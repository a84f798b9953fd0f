#!/usr/bin/env bash
# Make sure the Prism mock server (@stoplight/prism-cli) is installed project-locally.
# Prints the path of the `prism` binary on stdout; all messages go to stderr.
# Override with PRISM=/path/to/prism. Installed once into .var/prism with npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/npm-package.sh
source "$ROOT/scripts/npm-package.sh"

if [[ -n "${PRISM:-}" && -x "${PRISM}" ]]; then
    printf '%s\n' "$PRISM"
    exit 0
fi
npm_package_ensure prism @stoplight/prism-cli "${PRISM_VERSION:-5.16.0}" "$ROOT/.var/prism" \
    "$ROOT/.var/prism/node_modules/.bin/prism" "the Twilio contract tests" PRISM
