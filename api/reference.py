"""The OpenAPI schema and its reference page (Swagger UI), open to anyone: they
describe the API, they hold no data. Swagger UI's files come from the
drf-spectacular-sidecar package through our own static files (no CDN; the CSP allows
only our origin), and its start-up script is a file of its own (no inline script)."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

import api.schema  # noqa: F401  (registers the API key scheme with drf-spectacular)


class SchemaView(SpectacularAPIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []


class ReferenceView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    throttle_classes = []
    url_name = "api:schema"
    template_name = "api/reference.html"
