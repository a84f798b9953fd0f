#!/usr/bin/env bash
# Run the demo stack in the foreground: web (gunicorn), Celery worker, Celery beat.
#
# Output of all three is interleaved, each line prefixed with "web|", "worker|"
# or "beat|". Ctrl-C / SIGTERM stops all three (SIGTERM, then SIGKILL after
# DEMO_STOP_TIMEOUT seconds, default 20) and exits 0. If any one of them exits
# on its own, the others are stopped and the script exits non-zero.
#
# Expects DATABASE_URL / REDIS_URL etc. in the environment (the Makefile does
# `eval "$(scripts/ensure-services.sh)"` first). Optional: HOST, PORT,
# DEMO_BANNER (printed first), and WEB_CMD / WORKER_CMD / BEAT_CMD to replace
# the commands (each is run with `bash -c`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p .var

WEB_CMD="${WEB_CMD:-.venv/bin/gunicorn config.wsgi:application --bind ${HOST:-127.0.0.1}:${PORT:-8000} -c gunicorn.conf.py --access-logfile -}"
WORKER_CMD="${WORKER_CMD:-.venv/bin/celery -A config worker --loglevel=INFO --concurrency=2}"
BEAT_CMD="${BEAT_CMD:-.venv/bin/celery -A config beat --loglevel=INFO --schedule .var/celerybeat-schedule}"
STOP_TIMEOUT="${DEMO_STOP_TIMEOUT:-20}"
export PYTHONUNBUFFERED=1   # so log lines show up as they happen

# Each child gets its own process group (job control on), so a Ctrl-C in the
# terminal reaches only this script, which then stops the children in order,
# and a leftover grandchild can be killed with its whole group.
set -m

names=()
pids=()
stopping=0
starting=1   # a signal while the children start is handled once all three are known
pending=""

say() { printf 'run-demo| %s\n' "$*" >&2; }

# prefix NAME: copy stdin to stdout, each line prefixed with "NAME|".
prefix() {
    trap '' INT TERM   # keep printing the children's shutdown messages
    local line tag
    printf -v tag '%-8s' "$1|"
    while IFS= read -r line || [[ -n "$line" ]]; do
        printf '%s%s\n' "$tag" "$line"
    done
}

# start NAME CMD: run CMD in the background, output prefixed.
start() {
    local name="$1" cmd="$2"
    say "starting $name: $cmd"
    bash -c "exec $cmd" </dev/null > >(prefix "$name") 2>&1 &
    names+=("$name")
    pids+=("$!")
}

alive() { kill -0 "$1" 2>/dev/null; }

# stop_all: SIGTERM every child still running, wait up to STOP_TIMEOUT, then
# SIGKILL whatever is left in their process groups.
stop_all() {
    local i pid deadline
    for pid in "${pids[@]}"; do
        # only the main process: gunicorn and celery shut their own children down
        if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    deadline=$((SECONDS + STOP_TIMEOUT))
    while ((SECONDS < deadline)); do
        local any=0
        for pid in "${pids[@]}"; do alive "$pid" && any=1; done
        ((any)) || break
        sleep 0.2
    done
    for i in "${!pids[@]}"; do
        pid="${pids[$i]}"
        if alive "$pid"; then
            say "${names[$i]} did not stop within ${STOP_TIMEOUT}s; killing it"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        # leftovers in the group (gunicorn workers, celery pool processes)
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true   # the prefixers: let them flush the last lines
}

# shellcheck disable=SC2317  # invoked from the traps below
on_signal() {
    # Between a child's fork and its pid being recorded, stop_all would miss it (and
    # then wait for its output forever): remember the signal until all are started.
    if ((starting)); then pending="$1"; return; fi
    ((stopping)) && return
    stopping=1
    say "$1 received: stopping web, worker and beat ..."
    stop_all
    say "stopped"
    exit 0
}
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGHUP' HUP

if [[ -n "${DEMO_BANNER:-}" ]]; then printf '%s\n' "$DEMO_BANNER"; fi

start web "$WEB_CMD"
start worker "$WORKER_CMD"
start beat "$BEAT_CMD"
set +m   # groups are set at fork time; no "[1]+ Terminated" job notices from here on
starting=0
if [[ -n "$pending" ]]; then on_signal "$pending"; fi

# Wait until one child exits (or a signal arrives: its trap exits the script).
rc=0
while :; do
    set +e
    wait -n "${pids[@]}"
    rc=$?
    set -e
    ((stopping)) && exit 0
    dead=""
    for i in "${!pids[@]}"; do
        if ! alive "${pids[$i]}"; then dead="${names[$i]}"; break; fi
    done
    [[ -n "$dead" ]] && break
done
stopping=1
((rc != 0)) || rc=1
say "$dead exited (status ${rc}); stopping the others"
stop_all
exit "$rc"
