"""Every change a partner cares about is an event, committed with the change."""

import pytest
from django.db import transaction

from csrtool.events.models import Event
from csrtool.events.tests.conftest import event_types, last
from csrtool.features.services import change_features
from csrtool.numberpool.services import (
    add_number,
    assign_number,
    hold_number,
    remove_number,
    retire_number,
    unassign_number,
    unretire_number,
)
from csrtool.onboarding import services as onboarding
from csrtool.onboarding.tests.conftest import GOOD, issue_link
from csrtool.subscribers.services import (
    change_status,
    create_subscriber,
    update_subscriber,
)


def add_ann(actor):
    return create_subscriber(
        actor=actor,
        first_name="Ann",
        last_name="Archer",
        email="ann@customer.example",
        phone="+12125550123",
        billing_id="ACME-200",
    )


def add_line(actor, digits="2125550199"):
    return add_number(
        actor=actor,
        number=f"+1{digits}",
        dnis=digits,
        number_type="local",
        country_code="1",
    )


def test_a_new_subscriber_is_an_event_showing_it_as_the_api_does(cast, actor_of):
    ann = add_ann(actor_of(cast.bob))

    event = last("subscriber.created")
    assert event.partner == cast.acme
    assert event.actor_kind == "staff"
    assert event.public_id.startswith("evt_")
    assert event.data["object"]["subscriber_id"] == ann.public_id
    assert event.data["object"]["email"] == "ann@customer.example"
    assert event.data["object"]["status"] == "pending_activation"
    assert event.as_json()["partner"] == "acme"


def test_a_change_that_fails_leaves_no_event(cast, actor_of):
    with pytest.raises(RuntimeError), transaction.atomic():
        add_ann(actor_of(cast.bob))
        assert Event.objects.filter(type="subscriber.created").exists()
        raise RuntimeError("the change is rolled back")
    assert not Event.objects.exists()


def test_updates_and_status_changes_are_events(cast, actor_of):
    bob = actor_of(cast.bob)
    update_subscriber(actor=bob, public_id=cast.sam.public_id, billing_id="ACME-101")
    change_status(actor=bob, public_id=cast.sam.public_id, transition="suspend")

    assert last("subscriber.updated").data["object"]["billing_id"] == "ACME-101"
    changed = last("subscriber.status_changed").data
    assert changed["object"]["status"] == "suspended"
    assert changed["previous"] == {"status": "pending_activation"}


def test_the_number_lifecycle_is_a_series_of_events(cast, actor_of):
    alice = actor_of(cast.alice)
    add_line(alice)
    assign_number(actor=alice, number="2125550199", subscriber_id=cast.sam.public_id)
    unassign_number(actor=alice, number="2125550199")
    add_line(alice, "2125550188")
    hold_number(actor=alice, number="2125550188", subscriber_id=cast.sam.public_id)
    add_line(alice, "2125550177")
    retire_number(actor=alice, number="2125550177")
    unretire_number(actor=alice, number="2125550177")
    remove_number(actor=alice, dnis="2125550177")

    assert event_types(cast.acme) == [
        "number.added",
        "number.assigned",
        "number.unassigned",
        "number.aging",
        "number.added",
        "number.held",
        "number.added",
        "number.retired",
        "number.returned",
        "number.removed",
    ]
    assigned = Event.objects.filter(type="number.assigned").get().data["object"]
    assert assigned["dnis"] == "2125550199"
    assert assigned["subscriber_id"] == cast.sam.public_id
    assert assigned["status"] == "assigned"
    aging = last("number.aging").data["object"]
    assert aging["status"] == "aging" and aging["aging_until"]
    assert last("number.removed").data["object"]["dnis"] == "2125550177"


def test_feature_changes_carry_the_sets_before_and_after(cast, actor_of):
    bob = actor_of(cast.bob)
    change_features(actor=bob, public_id=cast.sam.public_id, enable=["sms"])
    change_features(actor=bob, public_id=cast.sam.public_id, enable=["web_chat"])

    data = last("subscriber.features_changed").data
    assert data["object"]["subscriber_id"] == cast.sam.public_id
    assert data["previous"]["features"] == ["sms"]
    assert sorted(data["object"]["features"]) == ["sms", "web_chat"]
    assert data["object"]["plan"] is None


def test_onboarding_then_the_last_missing_step_makes_the_subscriber_ready(
    cast, actor_of
):
    bob = actor_of(cast.bob)
    token = issue_link(bob, cast.sam)
    onboarding.complete_onboarding(token=token, **GOOD)
    assert "subscriber.onboarding_completed" in event_types(cast.acme)
    assert "subscriber.ready" not in event_types(cast.acme)

    alice = actor_of(cast.alice)
    add_line(alice)
    assign_number(actor=alice, number="2125550199", subscriber_id=cast.sam.public_id)
    assert "subscriber.ready" not in event_types(cast.acme)
    change_features(actor=bob, public_id=cast.sam.public_id, enable=["sms"])
    change_features(actor=bob, public_id=cast.sam.public_id, enable=["web_chat"])

    ready = Event.objects.filter(type="subscriber.ready").get()
    assert ready.data["object"]["subscriber_id"] == cast.sam.public_id
    assert ready.data["object"]["status"] == "active"


def test_a_first_number_as_the_last_missing_step_makes_the_subscriber_ready_once(
    cast, actor_of
):
    """The number is the last step: ready comes with the first number, not with
    the second, and not before the subscriber has onboarded."""
    bob, alice = actor_of(cast.bob), actor_of(cast.alice)
    change_features(actor=bob, public_id=cast.sam.public_id, enable=["sms"])
    add_line(alice)
    add_line(alice, "2125550198")
    add_line(alice, "2125550197")
    assign_number(actor=alice, number="2125550199", subscriber_id=cast.sam.public_id)
    unassign_number(actor=alice, number="2125550199")
    assert "subscriber.ready" not in event_types(cast.acme)

    onboarding.complete_onboarding(token=issue_link(bob, cast.sam), **GOOD)
    assert "subscriber.ready" not in event_types(cast.acme)
    assign_number(actor=alice, number="2125550198", subscriber_id=cast.sam.public_id)
    assign_number(actor=alice, number="2125550197", subscriber_id=cast.sam.public_id)

    ready = Event.objects.filter(type="subscriber.ready").get()
    assert ready.data["object"]["subscriber_id"] == cast.sam.public_id


def test_welcome_email_delivered_and_failed_are_events(cast, actor_of, smtpd):
    from csrtool.conftest import run_jobs

    add_ann(actor_of(cast.bob))
    run_jobs()
    delivered = last("welcome_email.delivered")
    assert delivered.actor_kind == "system"
    assert delivered.data["object"]["recipient"] == "ann@customer.example"

    smtpd.refuse_with = "550 5.1.1 No such user"
    create_subscriber(
        actor=actor_of(cast.bob),
        first_name="Bea",
        last_name="Baker",
        email="bea@customer.example",
        phone="+12125550124",
        billing_id="ACME-201",
    )
    run_jobs()
    failed = last("welcome_email.failed")
    assert failed.data["object"]["recipient"] == "bea@customer.example"
    assert "550" in failed.data["object"]["reason"]


def test_events_belong_to_the_partner_of_the_change(cast, actor_of):
    add_ann(actor_of(cast.bob))
    update_subscriber(
        actor=actor_of(cast.charlie), public_id=cast.gus.public_id, billing_id="G-2"
    )
    assert event_types(cast.acme) == ["subscriber.created"]
    assert event_types(cast.globex) == ["subscriber.updated"]
