#!/usr/bin/env bash
# Print a Python 3.12 interpreter, or say in one sentence how to get one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for candidate in "${PYTHON:-}" python3.12 python3 python; do
    [[ -n "$candidate" ]] || continue
    path="$(command -v "$candidate" 2>/dev/null)" || continue
    if "$path" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
        printf '%s\n' "$path"
        exit 0
    fi
done
echo "Python 3.12 not found: install it (e.g. \`sudo apt-get install python3.12 python3.12-venv\` or \`pyenv install 3.12\`) or set PYTHON=/path/to/python3.12." >&2
exit 1
