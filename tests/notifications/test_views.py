"""Webhooks (signed or refused), the tracking page, the office pages and their roles."""

import secrets
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from notifications import outbox, services
from notifications.models import InboundMessage, MessageTemplate, OutboundMessage, TrackingLink
from technicians.roles import Role
from tests.factories import TechnicianFactory, make_work_order
from tests.notifications.conftest import local, plan
from workorders.status import Status

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), "#1f5fbf").save(buffer, "PNG")
    return buffer.getvalue()


TOKEN = "test-auth-token-abcdef0123456789"
BASE = "https://dispatch.example.com"


@pytest.fixture(autouse=True)
def _signed_settings(settings, enqueued):
    settings.TWILIO_AUTH_TOKEN = TOKEN  # webhooks only; no sender: texts stay in the sandbox


@pytest.fixture(autouse=True)
def daytime():
    with time_machine.travel(local(0, 10), tick=True):
        yield


def signed_post(client, name, data, token=TOKEN, signature=None):
    path = reverse(name)
    signature = signature or RequestValidator(token).compute_signature(BASE + path, data)
    return client.post(
        path,
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


INBOUND = {
    "MessageSid": "SM" + "a" * 32,
    "From": "+13125550101",
    "To": "+15005550006",
    "Body": "STOP",
}


# --------------------------------------------------------------------------- webhooks


def test_signed_inbound_stop_opts_out(client, job):
    response = signed_post(client, "sms_inbound", INBOUND)
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    job.customer.refresh_from_db()
    assert job.customer.sms_opted_out_at is not None
    assert signed_post(client, "sms_inbound", INBOUND).status_code == 200  # a retry
    assert InboundMessage.objects.count() == 1


@pytest.mark.parametrize(
    "how", ["unsigned", "wrong token", "tampered body", "other url", "garbage"]
)
def test_forged_inbound_is_refused_and_nothing_recorded(client, job, how):
    data = dict(INBOUND)
    path = reverse("sms_inbound")
    if how == "unsigned":
        response = client.post(path, data)
    elif how == "wrong token":
        response = signed_post(client, "sms_inbound", data, token="not-the-token")
    elif how == "tampered body":
        signature = RequestValidator(TOKEN).compute_signature(BASE + path, {**data, "Body": "hi"})
        response = signed_post(client, "sms_inbound", data, signature=signature)
    elif how == "other url":
        signature = RequestValidator(TOKEN).compute_signature(BASE + "/sms/status/", data)
        response = signed_post(client, "sms_inbound", data, signature=signature)
    else:
        response = signed_post(client, "sms_inbound", data, signature="AAAA")
    assert response.status_code == 403
    job.customer.refresh_from_db()
    assert job.customer.sms_opted_out_at is None
    assert InboundMessage.objects.count() == 0


def test_webhooks_refuse_everything_without_an_auth_token(client, settings, job):
    settings.TWILIO_AUTH_TOKEN = ""
    response = signed_post(client, "sms_inbound", INBOUND)
    assert response.status_code == 403 and InboundMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"From": "+13125550101", "Body": "hi"}, "Missing MessageSid."),
        ({"MessageSid": "SM1", "Body": "hi"}, "Missing From."),
        ({"Body": "hi"}, "Missing MessageSid and From."),
    ],
)
def test_signed_but_incomplete_inbound_is_a_clear_400(client, job, data, message):
    response = signed_post(client, "sms_inbound", data)
    assert response.status_code == 400 and response.content.decode() == message
    assert InboundMessage.objects.count() == 0


def test_status_callback_updates_the_outbox_and_failures_show(client, job, user_with_role):
    tech = TechnicianFactory()
    plan(job, tech, local(1, 9))
    text = OutboundMessage.objects.get()
    OutboundMessage.objects.filter(pk=text.pk).update(status="sent", provider_sid="SM" + "b" * 32)
    forged = client.post(
        reverse("sms_status"), {"MessageSid": "SM" + "b" * 32, "MessageStatus": "failed"}
    )
    assert forged.status_code == 403
    bad = signed_post(
        client, "sms_status", {"MessageSid": "SM" + "b" * 32, "MessageStatus": "exploded"}
    )
    assert bad.status_code == 400 and "exploded" in bad.content.decode()
    text.refresh_from_db()
    assert text.status == "sent"
    ok = signed_post(
        client,
        "sms_status",
        {"MessageSid": "SM" + "b" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"},
    )
    assert ok.status_code == 204
    text.refresh_from_db()
    assert text.status == "undelivered" and text.error_code == "30003"
    client.force_login(user_with_role(Role.DISPATCHER))
    page = client.get(reverse("work_order_detail", args=[job.pk])).content.decode()
    assert 'id="texts-failed"' in page and "could not be delivered" in page


# --------------------------------------------------------------------------- tracking


@pytest.fixture
def tracked(job):
    tech = TechnicianFactory(display_name="Alex Moreno")
    tech.photo_thumbnail.save("t.png", ContentFile(png_bytes()), save=True)
    plan(job, tech, local(0, 13))
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="scheduled", new_status="dispatched"
    )
    return job, tech, TrackingLink.objects.get(work_order=job)


def test_tracking_page_shows_only_what_it_may(client, tracked):
    job, _tech, link = tracked
    response = client.get(f"/t/{link.token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alex" in page and "Moreno" not in page
    assert "Acme Air" in page and "12:45-1:15 PM" in page
    # The visit's own reference and address help the customer; nothing else of theirs,
    # and what was done only once it is done.
    assert job.number in page and job.site.address in page
    for secret in (job.customer.name, job.customer.phone, job.summary):
        assert secret not in page
    assert "<script>" not in page and "onclick" not in page  # no inline script
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert 'id="map-card" hidden' in page.replace("\n", " ") or 'hidden id="map-card"' in page


def test_tracking_position_only_en_route_and_approximate(client, tracked):
    job, tech, link = tracked
    tech.last_latitude, tech.last_longitude = 41.883712, -87.632954
    tech.last_position_at = timezone.now()
    tech.save()
    assert client.get(f"/t/{link.token}/status.json").json()["position"] is None
    job.status = Status.EN_ROUTE
    job.save()
    data = client.get(f"/t/{link.token}/status.json").json()
    assert data["status"] == "en_route" and data["status_label"] == "On the way"
    assert data["position"] == {"lat": 41.885, "lng": -87.635}
    assert set(data) == {"status", "status_label", "technician", "eta", "position", "updated"}


def test_tracking_photo_needs_a_valid_token(client, tracked, settings):
    _job, tech, link = tracked
    response = client.get(f"/t/{link.token}/photo")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert client.get(f"/t/{secrets.token_urlsafe(32)}/photo").status_code == 404
    # the media path itself stays private to anonymous visitors
    media = client.get(f"/media/{tech.photo_thumbnail.name}")
    assert media.status_code == 302 and "/login/" in media["Location"]


@pytest.mark.parametrize(
    "token",
    [
        lambda link: secrets.token_urlsafe(32),
        lambda link: link.token[:-1] + ("A" if link.token[-1] != "A" else "B"),
        lambda link: link.token[:20],
        lambda link: link.token.upper(),
        lambda link: "x" * 300,
        lambda link: "../" + link.token,
    ],
)
def test_guessed_tokens_get_the_one_404_page(client, tracked, token):
    """The page is the same for every bad token (it says nothing about the token); the
    data and photo URLs answer a bare 404."""
    _, _, link = tracked
    guess = token(link)
    unknown = client.get(f"/t/{secrets.token_urlsafe(32)}/")
    page = client.get(f"/t/{guess}/")
    assert page.status_code == unknown.status_code == 404
    assert page.content == unknown.content and b"has expired or is not complete" in page.content
    for suffix in ("status.json", "photo"):
        response = client.get(f"/t/{guess}/{suffix}")
        assert response.status_code == 404
        # bare, or (a path that is no token at all, "../<token>/photo") the one page
        assert response.content in (b"Not found.", b"", unknown.content)


def test_tracking_expires_24_hours_after_completion(client, tracked):
    job, tech, link = tracked
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="on_site", new_status="completed"
    )
    assert client.get(f"/t/{link.token}/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        response = client.get(f"/t/{link.token}/")
        unknown = client.get(f"/t/{secrets.token_urlsafe(32)}/")
        assert response.status_code == 404 and response.content == unknown.content


def test_cancelled_visit_link_is_dead_at_once(client, tracked):
    job, tech, link = tracked
    services.work_order_status_changed(
        work_order=job, technician=tech, old_status="dispatched", new_status="cancelled"
    )
    assert client.get(f"/t/{link.token}/").status_code == 404


# --------------------------------------------------------------------------- office pages

D, OF, M, T, A = Role.DISPATCHER, Role.OFFICE, Role.MANAGER, Role.TECHNICIAN, Role.ADMIN
MATRIX = [
    ("get", "message_list", None, {D, OF, M, A}),
    ("get", "message_templates", None, {OF, M, A}),
    ("get", "message_template_edit", "kind", {OF, M, A}),
    ("post", "message_template_preview", "kind", {OF, M, A}),
    ("get", "sms_sandbox", None, {D, OF, M, A}),
    ("post", "sms_sandbox_reply", "customer", {D, OF, M, A}),
    ("post", "work_order_texts_read", "work_order", {D, OF, M, A}),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "name", "arg", "allowed"), MATRIX, ids=[m[1] for m in MATRIX])
def test_role_matrix(client, user_with_role, job, role, method, name, arg, allowed):
    client.force_login(user_with_role(role))
    args = {"kind": "booked", "customer": job.customer_id, "work_order": job.pk}
    response = getattr(client, method)(reverse(name, args=[args[arg]] if arg else []))
    if role in allowed:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


def test_every_notifications_view_declares_roles_or_why_it_is_public():
    from notifications.urls import urlpatterns

    public = {p.name for p in urlpatterns if hasattr(p.callback, "public_reason")}
    assert public == {
        "sms_inbound",
        "sms_status",
        "tracking_page",
        "tracking_status",
        "tracking_photo",
        "tracking_link_gone",
    }
    for pattern in urlpatterns:
        assert hasattr(pattern.callback, "allowed_roles") or pattern.name in public, pattern.name


def test_template_editor_refuses_unknown_placeholders_naming_the_field(client, user_with_role):
    client.force_login(user_with_role(Role.OFFICE))
    url = reverse("message_template_edit", args=["booked"])
    response = client.post(url, {"body": "Hi {customer}, see you {when} {eta", "enabled": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="body"' in page and "Unknown placeholder {when}" in page
    assert not MessageTemplate.objects.exists()
    response = client.post(
        url, {"body": "Hi {customer}, {technician} comes {date}.", "enabled": ""}
    )
    assert response.status_code == 302
    row = MessageTemplate.objects.get(kind="booked")
    assert row.enabled is False and row.body.startswith("Hi {customer}")


def test_template_preview_counts_segments(client, user_with_role):
    client.force_login(user_with_role(Role.OFFICE))
    url = reverse("message_template_preview", args=["booked"])
    gsm = client.post(url, {"body": "Hi {customer}"}).content.decode()
    assert "Hi Jordan" in gsm and "1 segment" in gsm and "GSM-7" in gsm
    ucs = client.post(url, {"body": "Hi {customer} 🙂 " + "x" * 80}).content.decode()
    assert "2 segments" in ucs and "UCS-2" in ucs
    bad = client.post(url, {"body": "{nope}"}).content.decode()
    assert "Unknown placeholder {nope}" in bad
    assert "<script" not in client.post(url, {"body": "<script>x</script>"}).content.decode()


def test_sandbox_reply_and_thread(client, user_with_role, job):
    client.force_login(user_with_role(Role.OFFICE))
    plan(job, TechnicianFactory(), local(1, 9))
    outbox.outbox_send(message_id=OutboundMessage.objects.get().pk)
    reply = client.post(reverse("sms_sandbox_reply", args=[job.customer_id]), {"body": "Is 9 ok?"})
    assert reply.status_code == 302
    empty = client.post(reverse("sms_sandbox_reply", args=[job.customer_id]), {"body": ""})
    assert empty.status_code == 302 and InboundMessage.objects.count() == 1
    page = client.get(reverse("sms_sandbox") + f"?customer={job.customer_id}").content.decode()
    assert "Is 9 ok?" in page and "is booked for" in page
    detail = client.get(reverse("work_order_detail", args=[job.pk])).content.decode()
    assert "Is 9 ok?" in detail and "1 new" in detail
    client.post(reverse("work_order_texts_read", args=[job.pk]))
    assert InboundMessage.objects.get().read_at is not None


def test_message_list_filters(client, user_with_role, job):
    client.force_login(user_with_role(Role.DISPATCHER))
    other = make_work_order()
    tech = TechnicianFactory()
    plan(job, tech, local(1, 9))
    plan(other, tech, local(1, 11))
    url = reverse("message_list")
    assert client.get(url).status_code == 200
    page = client.get(url, {"customer": job.customer_id}).content.decode()
    assert job.number in page and other.number not in page
    page = client.get(url, {"q": other.number}).content.decode()
    assert other.number in page and job.number not in page
    assert "No texts match" in client.get(url, {"kind": "delay"}).content.decode()
    assert "No texts match" in client.get(url, {"status": "failed"}).content.decode()
