"""Audit Log filters typed with characters nobody means, or far too long, still
answer: a NUL is dropped (PostgreSQL refuses it), a value longer than the column
matches nothing (SQLite refuses so long a LIKE pattern)."""

import csv
import io

import pytest

from csrtool.audit.models import AuditEvent
from csrtool.subscribers.services import update_subscriber


@pytest.fixture
def events(cast, actor_of):
    update_subscriber(
        actor=actor_of(cast.bob), public_id=cast.sam.public_id, billing_id="ACME-101"
    )
    return AuditEvent.objects.all()


@pytest.mark.parametrize(
    "filters",
    [
        {"action": "subscriber.\x00"},
        {"actor": "bob\x00@acme"},
        {"target": "\x00"},
        {"action": "\x1bsubscriber"},
    ],
)
def test_a_filter_with_control_characters_is_refused_naming_it(
    cast, client_for, events, filters
):
    response = client_for(cast.avery).get("/audit/", filters)
    assert response.status_code == 400
    [name] = filters
    page = response.content.decode()
    assert f"The field &#x27;{name}&#x27; contains the control character" in page
    assert "subscriber.updated</code>" not in page


@pytest.mark.parametrize("name", ["action", "actor", "target"])
def test_a_filter_longer_than_anything_stored_lists_nothing(
    cast, client_for, events, name
):
    response = client_for(cast.avery).get("/audit/", {name: "s" * 60_000})
    assert response.status_code == 200
    assert "subscriber.updated</code>" not in response.content.decode()


def test_the_export_with_a_huge_filter_answers_and_records_it_cut(
    cast, client_for, events
):
    response = client_for(cast.avery).get(
        "/audit/export.csv", {"action": "subscriber", "actor": "x" * 60_000}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1  # the header: the actor filter matches nothing
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.after == {"action": "subscriber", "actor": "x" * 300}


@pytest.fixture
def east(cast):
    """An auditor of Acme who works in Tokyo, east of UTC."""
    avery = cast.avery
    avery.time_zone = "Asia/Tokyo"
    avery.save(update_fields=["time_zone"])
    return avery


def test_the_last_day_of_the_calendar_west_of_utc_bounds_nothing(
    cast, client_for, events
):
    response = client_for(cast.avery).get("/audit/", {"until": "9999-12-31"})
    assert response.status_code == 200
    assert "subscriber.updated</code>" in response.content.decode()


def test_the_first_day_of_the_calendar_east_of_utc_bounds_nothing(
    cast, client_for, events, east
):
    response = client_for(east).get("/audit/", {"since": "0001-01-01"})
    assert response.status_code == 200
    assert "subscriber.updated</code>" in response.content.decode()


@pytest.mark.parametrize(
    "zone, filters",
    [
        ("America/New_York", {"until": "9999-12-31"}),
        ("Asia/Tokyo", {"since": "0001-01-01"}),
    ],
)
def test_the_export_with_the_ends_of_the_calendar_exports_in_full(
    cast, client_for, events, zone, filters
):
    cast.avery.time_zone = zone
    cast.avery.save(update_fields=["time_zone"])
    response = client_for(cast.avery).get("/audit/export.csv", filters)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "subscriber.updated" in [row[6] for row in rows[1:]]
