"""The one gate for characters no request may carry: a clear 400 before any view runs.

PostgreSQL cannot store NUL, a lone surrogate cannot be encoded to UTF-8, and no form
of ours has a use for the other C0 control characters; reaching the database or the
file system with one of them ended in a 500. Rather than every form, lookup and file
path guarding itself, this middleware (early in `MIDDLEWARE`, before the session is
read) refuses the request when its path, query string, form fields or cookies carry
one, and names which part did."""

import json
import re
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control

# Text may hold tab, line feed and carriage return (a textarea); nothing else below
# U+0020, and no half of a surrogate pair.
_INVALID_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# A path has no use for any control character at all.
_INVALID_IN_PATH = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The REST API (api/) answers in JSON problem documents, and reads no forms: its JSON
# parser refuses the same characters in a body, with the field they were in.
API_PREFIX = "/api/"


def has_invalid_character(text: str) -> bool:
    """True when `text` holds NUL, another C0 control (tab, LF, CR aside) or a lone
    surrogate: a character no field of ours may store."""
    return _INVALID_IN_TEXT.search(text) is not None


def _any_invalid(pairs: Iterable[tuple[str, str]]) -> bool:
    return any(has_invalid_character(key) or has_invalid_character(value) for key, value in pairs)


def _lists(query) -> Iterable[tuple[str, str]]:
    return ((key, value) for key, values in query.lists() for value in values)


def _refusal(
    where: str, *, bad_cookies: list[str] | None = None, api: bool = False
) -> HttpResponse:
    if api:  # RFC 9457, as every other refusal of the API
        problem = {
            "type": "urn:fieldops:problem:invalid_character",
            "title": "Bad Request",
            "status": 400,
            "detail": f"{where[0].upper()}{where[1:]} holds a NUL, a control character or a "
            "lone surrogate.",
            "code": "invalid_character",
        }
        response = HttpResponseBadRequest(
            json.dumps(problem), content_type="application/problem+json"
        )
    else:
        # Rendered without the request: no context processor may read the session or the
        # user, which may be exactly what is broken.
        body = render_to_string("core/invalid_input.html", {"where": where, "cookies": bad_cookies})
        response = HttpResponseBadRequest(body)
    for name in bad_cookies or ():
        # A broken cookie would refuse every page until it is gone: expire it, so the
        # next request works.
        response.delete_cookie(name)
    return response


class InvalidCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path_info.startswith(API_PREFIX)
        if _INVALID_IN_PATH.search(request.path_info):
            return _refusal("the address", api=api)
        if _any_invalid(_lists(request.GET)):
            return _refusal("the address's query", api=api)
        bad_cookies = [
            name
            for name, value in request.COOKIES.items()
            if has_invalid_character(name) or has_invalid_character(value)
        ]
        if bad_cookies:
            return _refusal("a cookie", bad_cookies=bad_cookies, api=api)
        # (Uploaded file names need no check: Django drops their unprintable characters.)
        is_form = request.method == "POST" and request.content_type in _FORM_TYPES and not api
        if is_form and _any_invalid(_lists(request.POST)):
            return _refusal("the form")
        return self.get_response(request)


class PrivatePagesMiddleware:
    """What a logged-in user sees is theirs: no shared cache (a proxy, the browser's
    disk) may keep it. Pages, CSV exports and JSON of an authenticated request get
    `Cache-Control: private, no-store` unless the view chose its own (private photos
    keep theirs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response and request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
