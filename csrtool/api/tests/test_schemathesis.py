"""Hostile input against every operation of the OpenAPI document.

Schemathesis reads /api/v1/openapi.json from the Django app itself (WSGI, no
network) and sends each operation generated requests, valid and invalid, with an
API key of partner acme. Whatever it sends, the API never answers 5xx, answers
only what the document declares (status, content type, body, headers), and every
error is problem+json carrying its status and a stable code.

A schema-valid request may still be refused (400) by the domain's own checks, e.g.
a blank First Name or a number that is not a phone number; those refusals are
problem+json like the rest, so `positive_data_acceptance` is left out.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from csrtool.api.api import api
from csrtool.api.services import create_api_key
from csrtool.numberpool.models import PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Role
from csrtool.wsgi import application

MAX_EXAMPLES = 6
ACME_DNIS = "8005550199"
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def keep_test_connection():
    """Requests made through the WSGI app must not close the test's transaction.

    Django's own test client does the same: the signal that closes stale
    connections at the start and end of a request is disconnected meanwhile.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def acme_key(cast, keep_test_connection):
    _, secret = create_api_key(
        actor=cli_actor(), partner=cast.acme, name="fuzz", role=Role.PARTNER_ADMIN
    )
    return {"Authorization": f"Bearer {secret}"}


def load_schema(*, phases):
    """The document as /api/v1/openapi.json serves it, read from the API itself
    (no request at collection time), with the WSGI app to send cases to."""
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = application
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    schema.config.phases.update(phases=phases)
    return schema


every_operation = load_schema(phases=["examples", "coverage", "fuzzing"])
real_records = load_schema(phases=["examples", "fuzzing"])


def assert_answers_as_documented(case, headers):
    response = case.call_and_validate(
        headers=headers, excluded_checks=[positive_data_acceptance]
    )
    assert response.status_code < 500
    if response.status_code >= 400:
        content_type = response.headers.get("content-type")
        assert content_type == ["application/problem+json"], (
            case.as_curl_command(),
            response.status_code,
            content_type,
        )
        body = json.loads(response.content)
        assert body["status"] == response.status_code
        assert body["code"]
        assert body["detail"]
    return response


@every_operation.parametrize()
@BOUNDED
def test_every_operation_answers_as_documented(case, acme_key):
    assert_answers_as_documented(case, acme_key)


@real_records.parametrize()
@BOUNDED
def test_every_operation_on_real_records_answers_as_documented(case, cast, acme_key):
    """The same, with the path naming acme's subscriber and one of its numbers
    (added again after a generated DELETE removed it), so the generated bodies
    reach the services rather than a 404."""
    line = PhoneNumber.objects.filter(dnis=ACME_DNIS).first() or make_number(
        cast.acme, dnis=ACME_DNIS
    )
    parameters = case.path_parameters or {}
    if "subscriber_id" in parameters:
        parameters["subscriber_id"] = cast.sam.public_id
    if "dnis" in parameters:
        parameters["dnis"] = line.dnis
    assert_answers_as_documented(case, acme_key)
