"""schemathesis against the live schema: every operation, positive and negative cases,
through the real WSGI application. No 500, and every answer matches the schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.board.helpers import board_day, hvac, job, technician

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request, as a server
    should; in a test that is the connection holding the test's transaction (Django's
    test client disconnects the same receivers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def authorization(make_key, keep_test_connection):
    # A few rows, so that some generated ids find something; most are not found.
    job(skill=hvac(), level=1)
    technician("Tess", board_day())
    _, raw = make_key(name="fuzz")
    return {"Authorization": f"Bearer {raw}"}


# Loaded when the tests are collected, from the application itself (no database needed).
# (schemathesis.pytest.from_fixture fails under pytest 9 in this version.)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
schema.config.generation.update(modes=["positive", "negative"], max_examples=5)


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@pytest.mark.django_db
def test_every_operation_conforms(case, authorization):
    response = case.call(headers=authorization)
    case.validate_response(response, checks=CHECKS)
