"""Every error of the API in one shape: RFC 9457 problem details.

`application/problem+json` with `type`, `title`, `status` and `detail`; a `code` a
program can switch on; `errors`, one entry per bad field, with its `pointer` (a JSON
pointer into the request body, RFC 6901) or the query `parameter` or `header` it is
about. A board refusal adds `problems`: each rule's code and message."""

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from core.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:fieldops:problem:"


class Problem(exceptions.APIException):
    """An error the API raises itself, with the fields of the problem it answers with."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict] | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail=detail, code=code)
        self.status_code = status
        self.problem_code = code
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}


class QueryInvalid(exceptions.ValidationError):
    """Bad query parameters: the errors name parameters, not body fields."""


def _pointer(path: tuple) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "#/" + "/".join(parts) if parts else "#"


def _flatten(detail: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A serializer's own errors (not one field's) belong to the object itself.
            yield from _flatten(
                value, path if key in ("non_field_errors", "__all__") else (*path, key)
            )
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                yield from _flatten(item, (*path, index))
            else:
                yield path, str(item)
    else:
        yield path, str(detail)


def field_errors(detail: Any) -> list[dict]:
    return [{"pointer": _pointer(path), "detail": message} for path, message in _flatten(detail)]


def parameter_errors(detail: Any) -> list[dict]:
    return [
        {"parameter": str(path[0]) if path else "", "detail": message}
        for path, message in _flatten(detail)
    ]


def problem_body(status: int, code: str, detail: str, **extra) -> dict:
    return {
        "type": TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(status: int, code: str, detail: str, headers=None, **extra) -> Response:
    return Response(
        problem_body(status, code, detail, **extra),
        status=status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _summary(errors: list[dict]) -> str:
    first = errors[0]
    where = first.get("pointer") or first.get("parameter") or first.get("header") or ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where.removeprefix('#/') or 'The request'}: {first['detail']}{more}"


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler: anything the API refuses becomes a problem."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Nothing here: no such resource, or no such id.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        # A model's own validation inside a service (full_clean): field names are the
        # model's, which the API uses too.
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DomainError):
        set_rollback()
        return problem_response(422, "refused", str(exc))
    elif isinstance(exc, IntegrityError):
        # A unique constraint lost to a concurrent write the checks before it could not see.
        set_rollback()
        return problem_response(
            409, "conflict", "Another change made this one impossible; read and try again."
        )
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, round(exc.wait)))
    if isinstance(exc, Problem):
        extra = dict(exc.extra)
        if exc.errors:
            extra["errors"] = exc.errors
        return problem_response(
            exc.status_code,
            exc.problem_code,
            str(exc.detail),
            headers=headers | exc.headers,
            **extra,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = (parameter_errors if isinstance(exc, QueryInvalid) else field_errors)(exc.detail)
        return problem_response(
            400,
            "invalid_query" if isinstance(exc, QueryInvalid) else "invalid",
            _summary(errors) if errors else "The request is not valid.",
            headers=headers,
            errors=errors,
        )
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    codes = exc.get_codes()
    return problem_response(
        exc.status_code, codes if isinstance(codes, str) else "error", detail, headers=headers
    )
