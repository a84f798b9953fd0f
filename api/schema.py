"""What the OpenAPI schema says beyond what drf-spectacular reads from the views:
the API key scheme, the problem document of every refusal, the headers every POST
and PATCH need, and that request bodies take no field they do not list."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from api.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.problems import PROBLEM_CONTENT_TYPE


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key an administrator made: `Authorization: Bearer fo_…`.",
        }


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "What went wrong, for programs."},
        "errors": {
            "type": "array",
            "description": "One entry per bad field: a JSON pointer into the body, "
            "or the query parameter or header it is about.",
            "items": {
                "type": "object",
                "required": ["detail"],
                "properties": {
                    "pointer": {"type": "string"},
                    "parameter": {"type": "string"},
                    "header": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
        "problems": {
            "type": "array",
            "description": "A board refusal: each rule's code and message.",
            "items": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "etag": {"type": "string", "description": "412: the current ETag."},
    },
}

EVERY = {
    "400": "Bad query parameters or body",
    "401": "No credentials, or an unknown, revoked or expired API key",
    "403": "The key lacks the scope, or the person's role does not allow it",
    "404": "No such resource",
    "405": "Method not allowed",
    "406": "Only JSON is served",
    "429": "Rate limit reached; see Retry-After",
}
WRITES = {
    "409": "A concurrent change or a board rule refused it",
    "413": "Body too large",
    "415": "Send application/json",
    "422": "A business rule refused it, or the Idempotency-Key was used for another request",
}
UPDATES = {
    "412": "The If-Match ETag is stale: someone changed it; nothing was saved",
    "428": "If-Match is required",
}


def _header(name: str, description: str) -> dict:
    return {
        "in": "header",
        "name": name,
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~][ -~]*$"},
        "description": description,
    }


def problem_documents(result, generator, request, public):
    """drf-spectacular postprocessing hook (settings: SPECTACULAR_SETTINGS)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM
    for name, schema in components.items():
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False
    reference = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            codes = dict(EVERY)
            parameters = operation.setdefault("parameters", [])
            if method == "post":
                codes |= WRITES
                parameters.append(
                    _header(
                        IDEMPOTENCY_HEADER,
                        "A key of yours for this request (e.g. a UUID): a retry with the "
                        "same key gets the first answer.",
                    )
                )
            if method == "patch":
                codes |= WRITES | UPDATES
                parameters.append(_header("If-Match", "The ETag of your last read."))
            for code, description in codes.items():
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                    },
                )
    return result
