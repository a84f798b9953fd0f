"""JSON in, refused before any view when PostgreSQL could not store it.

The same characters `core.middleware` keeps out of forms (NUL, other control
characters, lone surrogates) are refused here in any string or key of a JSON body,
with the pointer to where they were; so are NaN and Infinity (not JSON, and no
number field of ours takes them) and bodies above the upload cap."""

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from api.problems import Problem
from core.middleware import has_invalid_character


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _invalid_at(value: Any, path: tuple = ()) -> tuple | None:
    if isinstance(value, str):
        return path if has_invalid_character(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if has_invalid_character(key):
                return (*path, key)
            found = _invalid_at(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _invalid_at(item, (*path, index))
            if found is not None:
                return found
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise Problem(413, "too_large", f"The body is larger than {limit} bytes.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError("The JSON is nested too deeply.") from None
        except ValueError as error:  # also UnicodeDecodeError and over-long integers
            raise ParseError(f"The body is not valid JSON: {error}") from None
        path = _invalid_at(data)
        if path is not None:
            pointer = "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
            raise Problem(
                400,
                "invalid_character",
                "The body holds a NUL, a control character or a lone surrogate.",
                errors=[{"pointer": pointer.rstrip("/"), "detail": "Invalid character."}],
            )
        return data
