"""GET /api/v1/events: the partner's events in feed order, cursor-paged, complete."""

import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from csrtool.events.feed import publish, read_feed
from csrtool.events.models import Event
from csrtool.events.services import purge_old_events, record_event
from csrtool.partners.models import Role
from csrtool.subscribers.services import update_subscriber


def touch(actor, subscriber, n):
    for i in range(n):
        update_subscriber(
            actor=actor, public_id=subscriber.public_id, billing_id=f"B-{i}"
        )


def test_the_feed_pages_through_every_event_once_in_order(
    cast, actor_of, api_client_for
):
    touch(actor_of(cast.bob), cast.sam, 5)
    api = api_client_for(cast.acme, Role.AUDITOR)

    first = api.get("/api/v1/events", {"limit": 2}).json()
    assert [e["type"] for e in first["items"]] == ["subscriber.updated"] * 2
    assert first["has_more"] is True
    assert first["items"][0]["data"]["object"]["billing_id"] == "B-0"
    rest = api.get("/api/v1/events", {"after": first["next_cursor"]}).json()
    assert [e["data"]["object"]["billing_id"] for e in rest["items"]] == [
        "B-2",
        "B-3",
        "B-4",
    ]
    assert rest["has_more"] is False

    # Caught up: the same cursor answers nothing until something happens.
    empty = api.get("/api/v1/events", {"after": rest["next_cursor"]}).json()
    assert empty["items"] == [] and empty["next_cursor"] == rest["next_cursor"]
    touch(actor_of(cast.bob), cast.sam, 1)
    again = api.get("/api/v1/events", {"after": rest["next_cursor"]}).json()
    assert [e["data"]["object"]["billing_id"] for e in again["items"]] == ["B-0"]


def test_the_feed_filters_by_type(cast, actor_of, api_client_for):
    bob = actor_of(cast.bob)
    touch(bob, cast.sam, 1)
    from csrtool.subscribers.services import change_status

    change_status(actor=bob, public_id=cast.sam.public_id, transition="suspend")
    api = api_client_for(cast.acme)
    answer = api.get("/api/v1/events?type=subscriber.status_changed").json()
    assert [e["type"] for e in answer["items"]] == ["subscriber.status_changed"]
    both = api.get(
        "/api/v1/events?type=subscriber.status_changed&type=subscriber.updated"
    ).json()
    assert len(both["items"]) == 2


def test_a_partner_sees_only_its_own_events(cast, actor_of, api_client_for):
    touch(actor_of(cast.bob), cast.sam, 2)
    touch(actor_of(cast.charlie), cast.gus, 3)
    acme = api_client_for(cast.acme).get("/api/v1/events").json()["items"]
    globex = api_client_for(cast.globex).get("/api/v1/events").json()["items"]
    assert {e["partner"] for e in acme} == {"acme"} and len(acme) == 2
    assert {e["partner"] for e in globex} == {"globex"} and len(globex) == 3
    assert not {e["id"] for e in acme} & {e["id"] for e in globex}


def test_a_forged_cursor_or_unknown_type_is_refused(cast, api_client_for):
    api = api_client_for(cast.acme)
    answer = api.get("/api/v1/events", {"after": "bm90LWEtY3Vyc29y"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "after"
    answer = api.get("/api/v1/events", {"type": "subscriber.exploded"})
    assert answer.status_code == 400
    assert api.get("/api/v1/events").status_code == 200
    assert (
        api_client_for(cast.acme)
        .get("/api/v1/events", headers={"Authorization": "Bearer nope"})
        .status_code
        == 401
    )


def test_events_older_than_the_keeping_period_are_purged(cast, actor_of, settings):
    touch(actor_of(cast.bob), cast.sam, 2)
    publish()
    old = Event.objects.order_by("id").first()
    Event.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.EVENTS_KEEP_DAYS, hours=1)
    )
    assert purge_old_events() == 1
    assert Event.objects.count() == 1
    assert purge_old_events() == 0


def record_one(partner, n):
    return record_event(
        partner=partner, type="subscriber.updated", actor_kind="system", data={"n": n}
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_still_comes_after_what_the_reader_saw(cast):
    """Writer A writes first (lower id) but commits after writer B: the reader,
    which already read B's event, still gets A's afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite writers never overlap (one writer at a time)")
    a_written = threading.Event()
    a_may_commit = threading.Event()

    def writer_a():
        try:
            with transaction.atomic():
                record_one(cast.acme, "a")
                a_written.set()
                a_may_commit.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert a_written.wait(10)
    b = record_one(cast.acme, "b")
    publish()
    page = read_feed(Event.objects.for_partner(cast.acme), after=0)
    assert [e.public_id for e in page.items] == [b.public_id]

    a_may_commit.set()
    thread.join(10)
    publish()
    cursor = page.items[-1].position
    later = read_feed(Event.objects.for_partner(cast.acme), after=cursor)
    assert [e.data["n"] for e in later.items] == ["a"]


@pytest.mark.django_db(transaction=True)
def test_the_feed_never_skips_nor_repeats_under_concurrent_writers(cast):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    writers, per_writer = 4, 25
    done = threading.Event()
    seen: list[str] = []
    errors: list[BaseException] = []

    def write(w):
        rng = random.Random(w)
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    record_one(cast.acme if i % 2 else cast.globex, f"{w}-{i}")
                    time.sleep(rng.random() * 0.01)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def read():
        after = 0
        try:
            while True:
                finished = done.is_set()
                publish()
                page = read_feed(Event.objects.all(), after=after, limit=7)
                seen.extend(e.public_id for e in page.items)
                if page.items:
                    after = page.items[-1].position
                elif finished:
                    return
        except BaseException as error:  # pragma: no cover
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    done.set()
    reader.join(60)
    assert not errors, errors
    written = set(Event.objects.values_list("public_id", flat=True))
    assert len(written) == writers * per_writer
    assert len(seen) == len(set(seen)), "an event was given twice"
    assert set(seen) == written, "an event was skipped"
