"""gunicorn's settings, for the demo (scripts/run-demo.sh) and the phone bench, which
runs the web server as the demo does (`gunicorn -c gunicorn.conf.py …`).

Sync workers, one request at a time per process. Measured with `make bench-phone` on
2 cores, a thread pool (gthread) cost a position post about twice the web server CPU
of a sync worker, even at one thread per worker (most likely the GIL passing between
its threads on every request), and served 111–294 posts/s against 252–408
(bench/results/phone-2026-11-28.txt).

WEB_WORKERS (default: cores + 1) sets how many: a request mostly computes, the one
more covers another's wait for PostgreSQL. Sync workers read a request whole before
Django sees it, so on the internet a buffering proxy (nginx) should face slow
clients, as gunicorn's documentation advises; list its address in TRUSTED_PROXIES so
the login limits see each client's address, not the proxy's (README, Configuration).
"""

import os

_raw = os.environ.get("WEB_WORKERS", "")
try:
    workers = int(_raw) if _raw else (os.cpu_count() or 1) + 1
except ValueError:
    raise SystemExit(f"WEB_WORKERS must be a whole number, not {_raw!r}") from None
if workers < 1:
    raise SystemExit(f"WEB_WORKERS must be at least 1, not {workers}")
worker_class = "sync"
