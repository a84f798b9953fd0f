"""How a view answers a refusal, and where it may send the browser next.

Every action is a plain POST that redirects, and with htmx the same endpoint answers
with the fragment to swap. A refused action (a `DomainError`, an invalid form) therefore
has two answers: the fragment that shows the message, or the message on the next page.
One helper gives both, so no view writes the `if request.htmx` fork for a refusal."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def refusal_response(
    request: HttpRequest,
    message: str,
    *,
    redirect_to: str,
    fragment: Callable[[], HttpResponse] | None = None,
) -> HttpResponse:
    """`fragment()` for htmx (it should answer 200: htmx 2 swaps no 4xx by default);
    otherwise `message` as an error on the page `redirect_to` leads to."""
    if fragment is not None and getattr(request, "htmx", False):
        return fragment()
    messages.error(request, message)
    return redirect(redirect_to)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` parameter (POST, then GET) when it is a URL of this site, else `fallback`.

    Same host only, and https only when the request came over https: a `next` can never
    send the user to another site or down to plain http. Only a path (from "/") or an
    absolute URL is taken: `redirect()` reads anything else as the name of a URL
    pattern, and a `next=123` ended in NoReverseMatch, a 500 (issue 25, the fuzz test)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    is_url = target.startswith("/") or urlsplit(target).scheme in ("http", "https")
    if is_url and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def form_errors(form: forms.Form) -> str:
    """Every error of a bound form as one sentence-per-error line for a message."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
