"""Tiny local HTTP servers (a thread each) standing in for OSRM and Nominatim."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Handler = Callable[[str, dict[str, list[str]]], tuple[int, object]]


@contextmanager
def fake_server(answer: Handler) -> Iterator[tuple[str, list[str]]]:
    """Serve `answer(path, query) -> (status, json body)`; yield (base URL, request log)."""
    hits: list[str] = []

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlsplit(self.path)  # not urlparse: it eats ";params"
            hits.append(self.path)
            status, body = answer(parsed.path, parse_qs(parsed.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def osrm_table(path: str, query: dict) -> tuple[int, object]:
    """A fake OSRM table: 100 s and 1000 m per unit of index distance."""
    if not path.startswith("/table/v1/driving/"):
        return 400, {"code": "InvalidUrl", "message": f"unknown path {path}"}
    points = path.removeprefix("/table/v1/driving/").split(";")
    size = len(points)
    return 200, {
        "code": "Ok",
        "durations": [[abs(i - j) * 100.4 for j in range(size)] for i in range(size)],
        "distances": [[abs(i - j) * 1000.0 for j in range(size)] for i in range(size)],
    }


def nominatim(path: str, query: dict) -> tuple[int, object]:
    if path != "/search":
        return 404, {"error": "not found"}
    address = query.get("q", [""])[0]
    if "Nowhere" in address:
        return 200, []
    return 200, [{"lat": "41.8827", "lon": "-87.6233", "display_name": address, "importance": 0.9}]
