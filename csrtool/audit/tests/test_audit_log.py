import csv
import io
from datetime import datetime

import pytest

from csrtool.audit.models import AuditEvent
from csrtool.audit.services import record
from csrtool.subscribers.services import update_subscriber


@pytest.fixture
def events(cast, actor_of):
    bob = actor_of(cast.bob, source_ip="203.0.113.5", request_id="req-abcdef12")
    update_subscriber(actor=bob, public_id=cast.sam.public_id, billing_id="=1+2")
    update_subscriber(
        actor=actor_of(cast.gina), public_id=cast.gus.public_id, billing_id="GLX-201"
    )
    return AuditEvent.objects.all()


def test_the_log_lists_the_partners_events_with_who_what_and_where(
    cast, client_for, events
):
    page = client_for(cast.avery).get("/audit/").content.decode()
    assert "subscriber.updated" in page
    assert "bob@acme.example" in page
    assert "203.0.113.5" in page
    assert "ACME-100" in page  # before
    assert "GLX-201" not in page


def test_filters_narrow_the_list(cast, client_for, events, actor_of):
    record(actor=actor_of(cast.alice), action="staff.updated", target=cast.bob)
    client = client_for(cast.avery)
    page = client.get("/audit/", {"action": "staff."}).content.decode()
    assert "staff.updated" in page and "subscriber.updated</code>" not in page
    page = client.get("/audit/", {"target": cast.sam.public_id}).content.decode()
    assert "subscriber.updated" in page and "staff.updated</code>" not in page
    page = client.get("/audit/", {"actor": "alice"}).content.decode()
    assert "staff.updated" in page and "bob@acme.example<br>" not in page


def test_an_auditor_exports_csv_and_the_export_is_itself_audited(
    cast, client_for, events
):
    response = client_for(cast.avery).get("/audit/export.csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )
    # Avery's sign-in and the export itself are the newest events, so they show too.
    assert [r["action"] for r in rows] == [
        "subscriber.updated",
        "staff.login",
        "audit.exported",
    ]
    assert rows[0]["partner"] == "acme"
    assert rows[0]["request_id"] == "req-abcdef12"
    # Moments as the API writes them: RFC 3339 in UTC.
    updated = AuditEvent.objects.get(request_id="req-abcdef12").created_at
    assert rows[0]["created_at"].endswith("Z")
    assert datetime.fromisoformat(rows[0]["created_at"]) == updated.replace(
        microsecond=updated.microsecond // 1000 * 1000
    )
    # A formula in a value is defused for spreadsheet programs.
    assert rows[0]["after"] == '{"billing_id": "=1+2"}'
    assert rows[0]["before"] == '{"billing_id": "ACME-100"}'
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor_user == cast.avery


def test_the_export_defuses_spreadsheet_formulas(cast, client_for, actor_of):
    from csrtool.subscribers.services import change_status

    change_status(
        actor=actor_of(cast.bob),
        public_id=cast.sam.public_id,
        transition="suspend",
        reason='=HYPERLINK("http://evil.example")',
    )
    response = client_for(cast.avery).get(
        "/audit/export.csv", {"action": "subscriber.suspend"}
    )
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["reason"] == '\'=HYPERLINK("http://evil.example")'


def test_a_csr_reads_the_log_but_cannot_export(cast, client_for, events):
    client = client_for(cast.bob)
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/export.csv").status_code == 404


def test_secrets_never_reach_the_log(cast, actor_of):
    event = record(
        actor=actor_of(cast.bob),
        action="test.secret",
        target=cast.sam,
        after={
            "password": "hunter2hunter2",
            "pin": "135790",
            "new_pin_set": True,
            "security_answer": "Rex",
            "token": "abc",
        },
    )
    event.refresh_from_db()
    assert "hunter2" not in str(event.after)
    assert "135790" not in str(event.after)
    assert "Rex" not in str(event.after)
    assert event.after["password"] == "[redacted]"


def test_the_subscriber_page_shows_its_history(cast, client_for, events):
    page = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/").content
    assert b"subscriber.updated" in page
    assert b"billing_id" in page


def test_a_subscribers_history_is_found_through_the_index_of_targets(
    cast, actor_of, client_for
):
    """Not by walking the partner's whole trail newest first: a partner of a
    million subscribers has millions of events, one subscriber a few."""
    from django.db import connection

    from csrtool.numberpool.tests.test_pool_queries import plan, statements

    bob = actor_of(cast.bob)
    for n in range(40):
        record(
            actor=bob,
            action="staff.updated",
            target_type="user",
            target_id=f"someone-{n}",
            partner=cast.acme,
        )
    for billing_id in ("ACME-101", "ACME-102"):
        update_subscriber(
            actor=bob, public_id=cast.sam.public_id, billing_id=billing_id
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditevent")

    history = AuditEvent.objects.for_actor(bob, tested=True).history_of(
        "subscriber", cast.sam.public_id
    )
    with statements() as seen:
        events = list(history[:100])
    (text,) = [plan(*statement, ("enable_seqscan",)) for statement in seen]

    assert [event.after["billing_id"] for event in events] == ["ACME-102", "ACME-101"]
    assert "audit_target" in text, text
    assert "audit_partner_time" not in text, text
    page = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/").text
    assert page.index("ACME-102") < page.index("ACME-101")
