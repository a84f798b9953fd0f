"""core.responses: the one answer to a refusal, and the one check of a `next` URL."""

from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from core.responses import form_errors, refusal_response, safe_next


def _request(data: dict | None = None, *, htmx: bool = False, secure: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    request = RequestFactory().post("/", data or {}, secure=secure, headers=headers)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    return request


def test_a_refusal_is_the_fragment_for_htmx_and_nothing_is_queued_as_a_message():
    request = _request(htmx=True)
    response = refusal_response(
        request, "No.", redirect_to="/board/", fragment=lambda: HttpResponse("fragment")
    )
    assert (response.status_code, response.content) == (200, b"fragment")
    assert [m.message for m in get_messages(request)] == []


def test_a_refusal_without_htmx_is_a_message_and_a_redirect():
    request = _request()
    response = refusal_response(
        request, "No.", redirect_to="/board/", fragment=lambda: HttpResponse("fragment")
    )
    assert (response.status_code, response["Location"]) == (302, "/board/")
    assert [m.message for m in get_messages(request)] == ["No."]


def test_a_refusal_with_no_fragment_redirects_even_for_htmx():
    request = _request(htmx=True)
    response = refusal_response(request, "No.", redirect_to="/elsewhere/")
    assert response["Location"] == "/elsewhere/"
    assert [m.message for m in get_messages(request)] == ["No."]


def test_next_is_followed_only_to_this_site():
    assert safe_next(_request({"next": "/board/2026-12-02/?team=north"}), "/") == (
        "/board/2026-12-02/?team=north"
    )
    for hostile in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""):
        assert safe_next(_request({"next": hostile}), "/fallback/") == "/fallback/"


def test_next_never_leaves_https_for_http():
    absolute = "http://testserver/board/"
    assert safe_next(_request({"next": absolute}), "/f/") == absolute
    assert safe_next(_request({"next": absolute}, secure=True), "/f/") == "/f/"


def test_form_errors_reads_every_error():
    class Form(forms.Form):
        a = forms.IntegerField(error_messages={"required": "A is needed."})
        b = forms.IntegerField(error_messages={"invalid": "B is a number."})

    form = Form({"b": "x"})
    assert not form.is_valid()
    assert form_errors(form) == "A is needed. B is a number."
