"""Every request we send is valid for Twilio's own OpenAPI spec.

The real `twilio` client, through our provider, talks to Prism serving
../shared/twilio/twilio_api_v2010.json as a validating mock (an invalid request gets
a 422 and a validator warning in Prism's log). Prism is installed project-locally by
scripts/ensure-prism.sh (npm), which `make test` and this fixture call.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import time_machine

from notifications import inbound, outbox, providers, services
from notifications.models import OutboundMessage
from tests.factories import SiteFactory, TechnicianFactory, make_work_order
from tests.notifications.conftest import local

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(
    os.environ.get("TWILIO_SPEC", ROOT.parent / "shared" / "twilio" / "twilio_api_v2010.json")
)
ACCOUNT = "AC" + "0123456789abcdef" * 2

pytestmark = pytest.mark.django_db


def _prism_binary() -> str:
    if os.environ.get("PRISM") and os.access(os.environ["PRISM"], os.X_OK):
        return os.environ["PRISM"]
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-prism.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"Prism is missing and could not be installed:\n{result.stderr}")
    return result.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def prism(tmp_path_factory):
    if not SPEC.is_file():
        pytest.fail(f"Twilio's OpenAPI spec is missing at {SPEC} (set TWILIO_SPEC).")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [_prism_binary(), "mock", "-d", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Prism exited:\n{log_path.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("Prism did not start within 90 s")
    yield url, log_path
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def via_prism(prism, settings):
    url, log_path = prism
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = "contract-test-token"
    settings.TWILIO_FROM = "+15005550006"
    settings.TWILIO_API_BASE_URL = url
    settings.NOTIFY_QUIET_HOURS = "00:00-00:00"
    assert providers.twilio_configured()
    offset = log_path.stat().st_size
    yield url
    new = log_path.read_text(errors="replace")[offset:]
    assert "did not pass the validation rules" not in new, new[-3000:]


def test_prism_really_validates(prism):
    url, _ = prism
    endpoint = f"{url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    auth = (ACCOUNT, "token")
    assert (
        requests.post(endpoint, data={"From": "+15005550006", "Body": "x"}, auth=auth).status_code
        == 422
    )
    assert requests.post(endpoint, data={"To": "+13125550101", "Body": "x"}).status_code == 401


def _send_all() -> list[OutboundMessage]:
    sent = []
    for text in OutboundMessage.objects.filter(status="queued").order_by("pk"):
        assert outbox.outbox_send(message_id=text.pk) == "sent", text.pk
        text.refresh_from_db()
        assert text.status == "sent" and text.provider_sid.startswith(("SM", "MM"))
        sent.append(text)
    return sent


def _every_kind_sent() -> list[OutboundMessage]:
    """Book, delay, on my way, complete, HELP: each text goes out as it is queued."""
    job = make_work_order(site=SiteFactory(customer__phone="+13125550101"))
    tech = TechnicianFactory(display_name="Alex Moreno")
    sent = []
    with time_machine.travel(local(0, 10), tick=True):
        for starts in (local(0, 13), local(0, 14)):
            services.visit_planned(
                work_order=job,
                technician=tech,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                cause="t",
            )
            sent += _send_all()
        for old, new in (
            ("scheduled", "dispatched"),
            ("dispatched", "en_route"),
            ("on_site", "completed"),
        ):
            services.work_order_status_changed(
                work_order=job, technician=tech, old_status=old, new_status=new
            )
            sent += _send_all()
        inbound.inbound_receive(
            provider_sid="SM" + "9" * 32, from_number="+13125550101", to_number="", body="HELP"
        )
        sent += _send_all()
    return sent


def test_every_text_we_send_is_a_valid_twilio_request(via_prism, enqueued):
    kinds = [text.kind for text in _every_kind_sent()]
    assert kinds == ["booked", "delay", "dispatched", "on_my_way", "completed", "help"]


def test_messaging_service_sender_is_valid_too(via_prism, settings, enqueued):
    settings.TWILIO_FROM = ""
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "0123456789abcdef" * 2
    assert len(_every_kind_sent()) == 6


def test_unicode_and_long_bodies_are_valid(via_prism, enqueued):
    from notifications.models import MessageTemplate

    MessageTemplate.objects.create(kind="completed", body="{company} ✅ " + "done {number}. " * 40)
    completed = next(text for text in _every_kind_sent() if text.kind == "completed")
    assert "✅" in completed.body and len(completed.body) > 400
