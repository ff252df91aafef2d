"""Every route of the URL conf and every API operation, fed hostile input: no 5xx.

Pages are walked as a signed-in partner admin (the platform operator for partner
pages, a signed-in subscriber for the portal), each with its path parameters
filled with real and hostile values, then with every box its forms show (and
a few common ones) set to each hostile class, in the query string and in a form
post. API operations come from the OpenAPI schema and are sent with a valid key:
every parameter and every JSON property gets each class, plus bodies that are
too large, malformed or of another type.
"""

import json
import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from csrtool.api.services import create_api_key
from csrtool.features.models import Plan
from csrtool.numberpool.models import NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Role
from csrtool.portal.tests.conftest import portal_client

# Each class of hostile text, as (name, value). Values go through the test client,
# so they arrive percent-encoded (query, form) or JSON-escaped (API bodies).
TEXT_CLASSES = [
    ("nul and controls", "a\x00b\x1b[31m\x07\x7f\x9b"),
    ("surrogate", "\ud800x"),
    ("long", "x" * 600),
    ("far-future date", "9999-12-31"),
    ("ancient date", "0001-01-01"),
    ("beyond calendar", "10000-01-01T00:00:00+14:00"),
    ("huge number", "9" * 30),
    ("negative", "-99999999999"),
    ("not a number", "1e309"),
]
# A form cannot carry a lone surrogate (its bytes arrive undecodable: RAW_QUERIES
# has them); pages get fewer of the near-duplicate classes, to keep the walk fast.
PAGE_CLASSES = [
    (name, value)
    for name, value in TEXT_CLASSES
    if name not in ("surrogate", "beyond calendar", "negative")
]
# Raw query strings no encoder would write: undecodable bytes, an encoded lone
# surrogate, a percent sign alone.
RAW_QUERIES = ["q=%ff%fe%ed%a0%80&page=%c0", "after=%&q=%00%"]
COMMON_PARAMS = [
    "q", "page", "after", "before", "status", "since", "until", "days", "action",
    "actor", "target", "subscriber", "next", "cursor", "limit", "type", "sort",
]  # fmt: skip
OVERSIZE = 40 * 1024 * 1024  # above every route's limit


@pytest.fixture
def world(cast, settings):
    settings.API_KEY_REQUESTS_PER_MINUTE = 100_000
    settings.API_ADDRESS_REQUESTS_PER_MINUTE = 100_000
    settings.API_ADDRESS_BAD_KEYS_PER_MINUTE = 100_000
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(cast.acme, "8005551235")
    plan = Plan.objects.create(partner=cast.acme, name="Walk plan")
    key, secret = create_api_key(
        actor=cli_actor(), partner=cast.acme, name="walk", role=Role.PARTNER_ADMIN
    )
    return {
        "public_id": cast.sam.public_id,
        "subscriber_id": cast.sam.public_id,
        "staff_id": cast.bob.pk,
        "slug": cast.acme.slug,
        "plan_id": plan.pk,
        "dnis": "8005551234",
        "prefix": key.prefix,
        "import_id": 1,
        "key": "call_forwarding",
        "uidb64": "MQ",
        "token": "not-a-token",
        "rest": "nothing",
        "secret": secret,
    }


HOSTILE_PATH_VALUES = {
    "str": ["x" * 300, "%00", "..%2F..%2Fetc"],
    "int": ["9" * 30],
    "slug": ["x" * 300],
    "dnis": ["9" * 20, "0"],
}


def routes():
    """(pattern text, parameter names) of every page route."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return [r for r in walk(get_resolver().url_patterns) if not r.startswith("api/")]


PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(route: str, values: dict, hostile: tuple[str, str] | None = None) -> str:
    """The path of `route` with real values, one parameter made hostile."""

    def value(match):
        name = match.group(2) or match.group(3)
        if hostile and hostile[0] == name:
            return hostile[1]
        return quote(str(values.get(name, "1")))  # a route added later: "1"

    path = PARAMETER.sub(value, route).lstrip("^").rstrip("$")
    return "/" + path.replace("\\", "")


def path_variants(route: str, values: dict):
    yield fill(route, values)
    for match in PARAMETER.finditer(route):
        converter, name = match.group(1) or "str", match.group(2) or match.group(3)
        kind = "dnis" if name == "dnis" else converter
        for bad in HOSTILE_PATH_VALUES.get(kind, HOSTILE_PATH_VALUES["str"]):
            yield fill(route, values, (name, bad))


# A form posting anywhere but to sign out (every console page has that one).
POST_FORM = re.compile(r'<form method="post"(?![^>]*action="[^"]*logout)')
FIELD_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')


def form_fields(response) -> list[str]:
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return []
    names = set(FIELD_NAME.findall(response.content.decode(errors="replace")))
    return sorted(names - {"csrfmiddlewaretoken"})


def client_for_route(route: str, cast, portal: Client) -> Client:
    if route.startswith("portal/"):
        return portal
    client = Client(raise_request_exception=False)
    client.force_login(cast.olivia if route.startswith("partners/") else cast.alice)
    return client


def send(client, method, path, failures, **kwargs):
    response = getattr(client, method)(path, **kwargs)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    if response.status_code >= 500:
        failures.append(
            f"{method.upper()} {path} {kwargs.get('QUERY_STRING', '')}"[:300]
        )
    return response


@pytest.fixture
def sam_signed_up(cast):
    from csrtool.portal.tests.conftest import activate

    activate(cast.sam)


def test_every_page_route_answers_hostile_input_without_a_server_error(
    cast, world, sam_signed_up
):
    failures: list[str] = []
    portal = portal_client(cast.sam)
    portal.raise_request_exception = False
    walked = routes()
    assert len(walked) > 50
    for route in walked:
        if route in ("logout/", "portal/logout/"):
            continue  # signing out is all they do; walked without a session below
        client = client_for_route(route, cast, portal)
        real, *hostile_paths = list(path_variants(route, world))
        for path in hostile_paths:
            send(client, "get", path, failures)
        if hostile_paths:
            send(client, "post", hostile_paths[0], failures, data={"x": "y"})
        first = send(client, "get", real, failures)
        fields = form_fields(first) + COMMON_PARAMS
        # Posts go where a form posts, or where GET is not even allowed.
        page = "" if first.streaming else first.content.decode(errors="replace")
        posts = first.status_code == 405 or bool(POST_FORM.search(page))
        for _, value in PAGE_CLASSES:
            data = dict.fromkeys(fields, value)
            send(client, "get", real, failures, data=data)
            if posts:
                send(client, "post", real, failures, data=data)
        for raw in RAW_QUERIES:
            send(client, "get", real, failures, QUERY_STRING=raw)
        if not posts:
            continue
        send(client, "post", real, failures, QUERY_STRING=RAW_QUERIES[0], data={})
        send(client, "post", real, failures, data="{", content_type="application/json")
        send(client, "post", real, failures, data="<x/>", content_type="text/xml")
        send(
            client,
            "post",
            real,
            failures,
            data=b"",
            content_type="application/x-www-form-urlencoded",
            CONTENT_LENGTH=str(OVERSIZE),
        )
    for path in ("/logout/", "/portal/logout/"):
        send(
            Client(raise_request_exception=False),
            "post",
            path,
            failures,
            data={"next": "\x00"},
        )
    assert failures == []


# The API, operation by operation from its own schema.


def operations(client) -> list[tuple[str, str, dict]]:
    schema = client.get("/api/v1/openapi.json").json()
    components = schema.get("components", {}).get("schemas", {})
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            found.append((method, path, operation))
    return found, components


def resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        options = [resolve(s, components) for s in schema["anyOf"]]
        schema = next((s for s in options if s.get("type") != "null"), options[0])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = resolve(schema["allOf"][0], components)
    return schema


def hostile_value(schema: dict, components: dict, text: str, depth=0):
    """A value of the schema's shape with `text` (or an out-of-range number or
    date) in every leaf."""
    schema = resolve(schema, components)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {
            name: hostile_value(prop, components, text, depth + 1)
            for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [hostile_value(schema.get("items", {}), components, text, depth + 1)]
    if kind == "integer":
        return 10**30 if text != "-99999999999" else -(10**30)
    if kind == "number":
        return 1e308
    if kind == "boolean":
        return True
    return text


def api_path(path: str, values: dict, hostile: str | None = None) -> str:
    def value(match):
        name = match.group(1)
        if hostile is None:
            return str(values.get(name, "1"))
        return quote(hostile, safe="", errors="surrogatepass")

    return re.sub(r"\{(\w+)\}", value, path)


def test_every_api_operation_answers_hostile_input_without_a_server_error(cast, world):
    client = Client(
        headers={"Authorization": f"Bearer {world['secret']}"},
        raise_request_exception=False,
    )
    failures: list[str] = []
    found, components = operations(client)
    assert len(found) > 30
    for method, path, operation in found:
        real = api_path(path, world)
        if "{" in path:
            for bad in ["x" * 300, "\x00", "\ud800", "9" * 30, "..%2F"]:
                send(client, method, api_path(path, world, bad), failures)
        parameters = [
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
        ]
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        for _, text in TEXT_CLASSES:
            query = "&".join(
                f"{quote(name)}={quote(text, errors='surrogatepass')}"
                for name in parameters + ["q", "after", "limit"]
            )
            kwargs = {"QUERY_STRING": query}
            if body_schema is not None:
                body = hostile_value(body_schema, components, text)
                kwargs["data"] = json.dumps(body)
                kwargs["content_type"] = "application/json"
            send(client, method, real, failures, **kwargs)
        for raw in RAW_QUERIES:
            send(client, method, real, failures, QUERY_STRING=raw)
        if method in ("post", "put", "patch", "delete"):
            for data, content_type in [
                ("{", "application/json"),
                ("[]", "application/json"),
                ('"\\udc00"', "application/json"),
                ('{"a": 1e999}', "application/json"),
                ("[" * 100_000, "application/json"),
                ("a=1", "application/x-www-form-urlencoded"),
                ("<x/>", "text/xml"),
                (b"\xff\xfe\x00", "text/csv"),
                (b"number\n\x00,\xed\xa0\x80", "text/csv"),
            ]:
                send(
                    client, method, real, failures, data=data, content_type=content_type
                )
            for headers in ({}, {"Idempotency-Key": "walk-oversize"}):
                send(
                    client,
                    method,
                    real,
                    failures,
                    data=b"",
                    content_type="application/json",
                    CONTENT_LENGTH=str(OVERSIZE),
                    headers=headers,
                )
    assert failures == []
