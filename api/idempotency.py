"""`Idempotency-Key` on every POST: a retry gets the first answer, never a second object.

The key is the caller's own (the API key's actor, or the person of a browser
session). The first request inserts its record and does its work in one transaction;
a concurrent retry's insert waits on the unique constraint until that transaction
ends, then finds the stored answer (or, if the first failed, does the work itself).
Only successes are kept: a refused request changed nothing, so retrying it is safe
and may succeed once the cause is fixed."""

import hashlib
import json
import re
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from rest_framework.response import Response

from api.models import IdempotencyRecord
from api.problems import Problem

HEADER = "Idempotency-Key"
# Printable ASCII, as an HTTP header value can carry it; 255 like the column.
_VALID_KEY = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")
_REPLAYED_HEADERS = ("ETag", "Location")


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key_of(request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not _VALID_KEY.fullmatch(key):
        raise Problem(
            400,
            "idempotency_key_required",
            f"Send an {HEADER} header (1 to 255 printable characters, e.g. a UUID) "
            "so that a retry cannot create a second object.",
            errors=[{"header": HEADER, "detail": "Missing or not 1-255 printable characters."}],
        )
    return key


def _replay(record: IdempotencyRecord) -> Response:
    return Response(
        record.body,
        status=record.status_code,
        headers={**record.headers, "Idempotent-Replayed": "true"},
    )


def idempotent(handler):
    """Decorates an APIView's `post`."""

    @wraps(handler)
    def post(view, request, *args, **kwargs):
        key = _key_of(request)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        actor=request.user, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                record = IdempotencyRecord.objects.get(actor=request.user, key=key)
                if record.fingerprint != fingerprint:
                    raise Problem(
                        422,
                        "idempotency_key_reused",
                        f"This {HEADER} was used for a different request; use a new key.",
                        errors=[{"header": HEADER, "detail": "Already used."}],
                    ) from None
                return _replay(record)
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.status_code = response.status_code
                record.body = response.data
                record.headers = {h: response[h] for h in _REPLAYED_HEADERS if h in response}
                record.save(update_fields=["status_code", "body", "headers"])
            else:
                transaction.set_rollback(True)
            return response

    return post
