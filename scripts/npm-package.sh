# Sourced by the ensure-*.sh scripts of tools that come from the npm registry (Prism,
# axe-core): installs one pinned package project-locally, once, and prints the path of
# the file the caller needs. Messages go to stderr.
#
#   npm_package_ensure NAME PACKAGE VERSION PREFIX RESULT PURPOSE OVERRIDE_VARIABLE
#
# RESULT is the file that proves the install (a binary, a script); PURPOSE says in a few
# words who needs it; OVERRIDE_VARIABLE is the environment variable that points at one
# installed elsewhere (only named in messages: the caller handles it).

npm_package_ensure() {
    local name="$1" package="$2" version="$3" prefix="$4" result="$5" purpose="$6" override="$7"
    local root log
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    log="$root/.var/$name-install.log"
    if [[ -e "$result" ]]; then
        printf '%s\n' "$result"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        printf '%s\n' "$package is needed by $purpose and npm is missing: install Node.js 18+ with npm (e.g. \`apt-get install npm\`), or set $override=/path/to/it." >&2
        return 1
    fi
    mkdir -p "$prefix"
    printf '%s\n' "Installing $package@$version into ${prefix#"$root"/} (log in $log) ..." >&2
    if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
            "$package@$version" >"$log" 2>&1; then
        printf '%s\n' "npm install $package failed: see $log (last lines below)." >&2
        tail -n 15 "$log" >&2 || true
        return 1
    fi
    if [[ ! -e "$result" ]]; then
        printf '%s\n' "npm installed $package but $result does not exist: see $log." >&2
        return 1
    fi
    printf '%s\n' "$package installed at $result." >&2
    printf '%s\n' "$result"
}
