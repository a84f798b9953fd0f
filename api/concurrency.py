"""Optimistic concurrency: an ETag on every read of a customer or a work order, and
`If-Match` required on every update. The tag is a digest of the representation, so
any change anyone makes (a field, a site, the status, a required skill) changes it."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder

from api.problems import Problem


def etag_of(representation: dict) -> str:
    text = json.dumps(representation, sort_keys=True, cls=DjangoJSONEncoder)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def check_if_match(request, current: str) -> None:
    """Refuse the update unless the caller saw the current version (RFC 9110 13.1.1:
    strong comparison, so a weak tag never matches)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise Problem(
            428,
            "if_match_required",
            "Send If-Match with the ETag of your last read, so nobody's change is overwritten.",
            errors=[{"header": "If-Match", "detail": "Required."}],
        )
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise Problem(
        412,
        "stale",
        "Someone changed this since you read it; nothing was saved. Read it again and retry.",
        extra={"etag": current},
    )
