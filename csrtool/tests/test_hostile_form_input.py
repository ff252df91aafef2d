"""Hostile input on the main console pages: never a server error.

Whatever lands in a box or a query string (NUL bytes, control characters, huge
values, markup, SQL, digits of other scripts, forged page cursors), each page
answers with a page, a redirect or a form error, and escapes what it echoes.
"""

import base64

import pytest

from csrtool.audit.models import AuditEvent
from csrtool.subscribers.models import Subscriber
from csrtool.validation import refused_character


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


NASTY = [
    pytest.param("\x00", id="nul"),
    pytest.param("sam\x00sample", id="nul-inside"),
    pytest.param("\x1b[31m\x07\x7f", id="control-characters"),
    pytest.param("x" * 100_000, id="huge"),
    pytest.param("💩" * 5_000, id="huge-astral"),
    pytest.param("<script>alert(1)</script>", id="markup"),
    pytest.param("'; DROP TABLE subscribers_subscriber; --", id="sql"),
    pytest.param("%_\\", id="like-wildcards"),
    pytest.param("\u202egnp.exe\u200b\ufeff", id="bidi-and-zero-width"),
    pytest.param("+²³", id="superscript-digits"),
    pytest.param("+١٢١٢٥٥٥٠١٠٠", id="arabic-indic-digits"),
    pytest.param("＋１２１２５５５０１００", id="fullwidth-digits"),
    pytest.param("9" * 40, id="forty-nines"),
    pytest.param("-1", id="negative"),
    pytest.param(" \t\r\n ", id="whitespace"),
    pytest.param("A\u0301\u0301\u0301" * 50, id="combining-marks"),
]
FORGED_CURSORS = [
    pytest.param("!!!", id="not-base64"),
    pytest.param(cursor("2020-01-01|1"), id="naive-time"),
    pytest.param(cursor("2020-01-01T00:00:00+00:00|" + "9" * 30), id="huge-id"),
    pytest.param(cursor("2020-01-01T00:00:00+00:00|-5"), id="negative-id"),
    pytest.param(cursor("9999-12-31T23:59:59+14:00|1"), id="far-future"),
    pytest.param(cursor("\x00|\x00"), id="nul"),
    pytest.param("\x00", id="raw-nul"),
]


def refused(value: str) -> bool:
    """Whether the edge refuses `value` in a page's query string (400)."""
    return refused_character(value) is not None


def assert_answers(response, *, allowed=(200,), value=""):
    if refused(value):
        allowed = (400,)
    assert response.status_code in allowed, response.status_code
    if response.status_code == 200 and "html" in response["Content-Type"]:
        page = response.content.decode()
        assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "email", "phone", "time_zone", "billing_id"]
)
def test_add_enterprise_account_refuses_hostile_input_with_a_form_error(
    cast, client_for, field, value
):
    data = {
        "first_name": "Hostile",
        "last_name": "Input",
        "email": "hostile@customer.example",
        "phone": "+12125550111",
        "time_zone": "America/New_York",
        "billing_id": "H-1",
        field: value,
    }
    response = client_for(cast.bob).post("/subscribers/new/", data)
    assert_answers(response, allowed=(200, 302))
    created = Subscriber.objects.filter(email_canonical="hostile@customer.example")
    if response.status_code == 200:
        assert not created.exists()
        assert 'aria-invalid="true"' in response.content.decode()
    else:
        subscriber = created.get()
        assert subscriber.partner == cast.acme
        assert "\x00" not in subscriber.billing_id + subscriber.first_name


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("param", ["q", "status"])
def test_subscriber_lookup_answers_hostile_queries(cast, client_for, param, value):
    response = client_for(cast.bob).get("/subscribers/", {param: value})
    assert_answers(response, value=value)
    assert cast.gus.public_id not in response.content.decode()


@pytest.mark.parametrize("value", FORGED_CURSORS)
def test_subscriber_lookup_answers_forged_page_cursors(cast, client_for, value):
    response = client_for(cast.bob).get("/subscribers/", {"q": "Sam", "after": value})
    assert_answers(response, value=value)


@pytest.mark.parametrize("value", NASTY)
def test_phone_line_lookup_answers_hostile_queries(cast, client_for, value):
    response = client_for(cast.bob).get("/numbers/lookup/", {"q": value})
    assert_answers(response, allowed=(200, 302), value=value)


@pytest.mark.parametrize("value", FORGED_CURSORS)
def test_phone_line_lookup_answers_forged_page_cursors(cast, client_for, value):
    response = client_for(cast.bob).get(
        "/numbers/lookup/", {"q": "800", "after": value}
    )
    assert_answers(response, value=value)


@pytest.mark.parametrize("value", NASTY)
@pytest.mark.parametrize("param", ["action", "actor", "target", "since", "until"])
def test_audit_log_filters_answer_hostile_values(cast, client_for, param, value):
    response = client_for(cast.avery).get("/audit/", {param: value})
    assert_answers(response, value=value)


@pytest.mark.parametrize("value", FORGED_CURSORS)
def test_audit_log_answers_forged_page_cursors(cast, client_for, value):
    response = client_for(cast.avery).get("/audit/", {"after": value})
    assert_answers(response, value=value)


@pytest.mark.parametrize("value", NASTY)
def test_audit_export_answers_hostile_filters(cast, client_for, value):
    response = client_for(cast.avery).get(
        "/audit/export.csv", {"action": value, "actor": value, "target": value}
    )
    if refused(value):
        assert response.status_code == 400
        assert not AuditEvent.objects.filter(action="audit.exported").exists()
        return
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.parametrize(
    "path",
    ["/subscribers/", "/numbers/lookup/", "/audit/"],
)
def test_pages_answer_a_query_string_that_is_not_utf8(cast, client_for, path):
    user = cast.avery if path == "/audit/" else cast.bob
    response = client_for(user).get(path, QUERY_STRING="q=%ff%fe%ed%a0%80&action=%c0")
    assert_answers(response)
