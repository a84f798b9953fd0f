"""A local stand-in for Twilio's Messages API, for faults and counting.

The real `twilio` client talks to it (TWILIO_API_BASE_URL). Each request is logged
with its arrival time; answers can be scripted per recipient body substring or
globally: `fake.script(["500", "500"])` makes the next two requests fail with 500
and later ones succeed with 201.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"


@dataclass
class Hit:
    at: float
    status: int
    to: str
    body: str
    status_callback: str
    sender: str
    sid: str = ""


@dataclass
class FakeTwilio:
    hits: list[Hit] = field(default_factory=list)
    _script: list[str] = field(default_factory=list)
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def script(self, answers: list[str]) -> None:
        """Queue answers for the next requests: "500", "429", "timeout", "21211", ..."""
        with self.lock:
            self._script.extend(answers)

    def successes(self) -> Counter:
        """How many times each body was accepted (201)."""
        with self.lock:
            return Counter(hit.body for hit in self.hits if hit.status == 201)

    def requests_for(self, text: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if text in hit.body]

    def _answer(self, account: str, form: dict[str, list[str]]) -> tuple[int, dict]:
        with self.lock:
            action = self._script.pop(0) if self._script else "201"
        if action == "timeout":
            time.sleep(30)
        if action in ("500", "503"):
            return int(action), {"code": 20500, "message": "Internal error", "status": int(action)}
        if action == "429":
            return 429, {"code": 20429, "message": "Too many requests", "status": 429}
        if action in ("21211", "21614", "21610"):
            return 400, {"code": int(action), "message": f"Error {action}", "status": 400}
        sid = f"SM{uuid.uuid4().hex}"
        return 201, {
            "sid": sid,
            "account_sid": account,
            "to": form.get("To", [""])[0],
            "from": form.get("From", [""])[0],
            "body": form.get("Body", [""])[0],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }

    def handle(self, path: str, raw: bytes, authorized: bool) -> tuple[int, dict]:
        match = PATH.match(path)
        if not match:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        if not authorized:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        form = parse_qs(raw.decode(), keep_blank_values=True)
        arrived = time.time()
        if self.delay_s:
            time.sleep(self.delay_s)
        status, payload = self._answer(match.group(1), form)
        hit = Hit(
            at=arrived,
            status=status,
            to=form.get("To", [""])[0],
            body=form.get("Body", [""])[0],
            status_callback=form.get("StatusCallback", [""])[0],
            sender=form.get("From", form.get("MessagingServiceSid", [""]))[0],
            sid=payload.get("sid", ""),
        )
        with self.lock:
            self.hits.append(hit)
        return status, payload


def start_fake_twilio(port: int = 0) -> tuple[FakeTwilio, ThreadingHTTPServer]:
    import base64

    fake = FakeTwilio()
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in one segment: no 40 ms stalls
        wbufsize = 64 * 1024

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, payload = fake.handle(
                self.path, raw, self.headers.get("Authorization") == expected
            )
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return fake, server


def twilio_env(fake: FakeTwilio) -> dict[str, str]:
    """Settings (as environment variables) that point the real client at the fake."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": "+15005550006",
        "TWILIO_API_BASE_URL": fake.url,
    }
