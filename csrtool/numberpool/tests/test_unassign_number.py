from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.conftest import make_subscriber
from csrtool.errors import Conflict, NotFound
from csrtool.numberpool.models import NumberAssignment, NumberStatus, PhoneNumber
from csrtool.numberpool.services import (
    assign_number,
    find_number,
    release_line,
    unassign_number,
)
from csrtool.numberpool.tests.make import events, make_number


def assigned_to_sam(cast, dnis="8005551234"):
    return make_number(
        cast.acme, dnis, status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )


def test_unassigning_sends_the_number_aging_for_the_partners_period(cast, actor_of):
    assigned_to_sam(cast)
    now = timezone.now()

    line = unassign_number(
        actor=actor_of(cast.bob),
        number="8005551234",
        subscriber_id=cast.sam.public_id,
        now=now,
    )

    assert line.status == NumberStatus.AGING
    assert line.subscriber is None
    assert line.aging_until == now + timedelta(days=90)
    assert line.previous_subscriber == cast.sam
    [assignment] = NumberAssignment.objects.all()
    assert (assignment.released_at, assignment.released_by) == (now, cast.bob)
    [event] = events("number.unassigned")
    assert event.before["subscriber"] == cast.sam.public_id
    assert event.after["status"] == "aging"


def test_the_aging_period_follows_the_partners_setting(cast, actor_of):
    cast.acme.number_aging_days = 30
    cast.acme.save()
    assigned_to_sam(cast)
    now = timezone.now()

    line = unassign_number(actor=actor_of(cast.bob), number="8005551234", now=now)

    assert line.aging_until == now + timedelta(days=30)


def test_without_an_aging_period_the_number_is_available_at_once(cast, actor_of):
    cast.acme.number_aging_days = 0
    cast.acme.save()
    assigned_to_sam(cast)

    line = unassign_number(actor=actor_of(cast.bob), number="8005551234")

    assert line.status == NumberStatus.AVAILABLE


def test_within_the_aging_period_only_the_previous_subscriber_gets_it_back(
    cast, actor_of
):
    other = make_subscriber(cast.acme, email="olga@customer.example", first_name="Olga")
    assigned_to_sam(cast)
    now = timezone.now()
    actor = actor_of(cast.bob)
    unassign_number(actor=actor, number="8005551234", now=now)

    with pytest.raises(Conflict) as e:
        assign_number(
            actor=actor,
            number="8005551234",
            subscriber_id=other.public_id,
            now=now + timedelta(days=89),
        )
    assert e.value.code == "number_aging"
    assert "aging until" in e.value.message
    assert "only its previous subscriber can have it back" in e.value.message

    line = assign_number(
        actor=actor,
        number="8005551234",
        subscriber_id=cast.sam.public_id,
        now=now + timedelta(days=89),
    )
    assert line.subscriber == cast.sam
    assert NumberAssignment.objects.filter(subscriber=cast.sam).count() == 2


def test_after_the_aging_period_anyone_can_have_it(cast, actor_of):
    other = make_subscriber(cast.acme, email="olga@customer.example", first_name="Olga")
    assigned_to_sam(cast)
    now = timezone.now()
    actor = actor_of(cast.bob)
    line = unassign_number(actor=actor, number="8005551234", now=now)
    later = now + timedelta(days=90)

    assert line.effective_status(later) == NumberStatus.AVAILABLE
    assert PhoneNumber.objects.available(later).count() == 1
    assert PhoneNumber.objects.available(now).count() == 0
    line = assign_number(
        actor=actor, number="8005551234", subscriber_id=other.public_id, now=later
    )
    assert line.subscriber == other


def test_it_refuses_to_unassign_from_the_wrong_subscriber(cast, actor_of):
    other = make_subscriber(cast.acme, email="olga@customer.example", first_name="Olga")
    assigned_to_sam(cast)

    with pytest.raises(Conflict) as e:
        unassign_number(
            actor=actor_of(cast.bob),
            number="8005551234",
            subscriber_id=other.public_id,
        )

    assert e.value.code == "wrong_subscriber"
    assert e.value.message == (
        f"8005551234 is assigned to Sam Sample (Subscriber ID {cast.sam.public_id}), "
        f"not to Olga Smith (Subscriber ID {other.public_id})."
    )
    assert PhoneNumber.objects.get().subscriber == cast.sam


def test_it_refuses_to_unassign_a_number_nobody_has(cast, actor_of):
    make_number(cast.acme, "8005551234")
    with pytest.raises(Conflict) as e:
        unassign_number(actor=actor_of(cast.bob), number="8005551234")
    assert e.value.message == "8005551234 is not assigned to anyone."


def test_charlie_cannot_unassign_acmes_number(cast, actor_of):
    assigned_to_sam(cast)
    with pytest.raises(NotFound):
        unassign_number(actor=actor_of(cast.charlie), number="8005551234")
    assert PhoneNumber.objects.get().subscriber == cast.sam


def test_a_number_released_after_it_was_read_is_not_released_again(cast, actor_of):
    # What a release read may be out of date by the time it writes: the write
    # happens only while the row still has that status and that owner.
    assigned_to_sam(cast)
    bob = actor_of(cast.bob)
    stale = find_number(actor=bob, value="8005551234")
    unassign_number(actor=bob, number="8005551234")
    assign_number(actor=bob, number="8005551234", subscriber_id=cast.sam.public_id)
    unassign_number(actor=bob, number="8005551234")

    with pytest.raises(Conflict, match="changed while you were working"):
        release_line(actor=bob, line=stale, now=timezone.now())

    stored = PhoneNumber.objects.get(dnis="8005551234")
    assert (stored.status, stored.subscriber, stored.previous_subscriber) == (
        NumberStatus.AGING,
        None,
        cast.sam,
    )
    assert len(events("number.unassigned")) == 2
