from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.conftest import make_subscriber
from csrtool.errors import Conflict
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.services import (
    assign_number,
    expire_numbers,
    hold_number,
    unassign_number,
)
from csrtool.numberpool.tests.make import events, make_number


def test_a_csr_holds_a_number_for_a_subscriber_for_the_partners_hold_time(
    cast, actor_of
):
    make_number(cast.acme, "8005551234")
    now = timezone.now()

    line = hold_number(
        actor=actor_of(cast.bob),
        number="8005551234",
        subscriber_id=cast.sam.public_id,
        now=now,
    )

    assert line.status == NumberStatus.HELD
    assert line.subscriber == cast.sam
    assert line.held_until == now + timedelta(minutes=30)
    assert [e.action for e in events()] == ["number.held"]


def test_nobody_else_can_take_a_held_number_until_the_hold_lapses(cast, actor_of):
    other = make_subscriber(cast.acme, email="olga@customer.example", first_name="Olga")
    make_number(cast.acme, "8005551234")
    now = timezone.now()
    actor = actor_of(cast.bob)
    hold_number(
        actor=actor, number="8005551234", subscriber_id=cast.sam.public_id, now=now
    )

    with pytest.raises(Conflict) as e:
        assign_number(
            actor=actor,
            number="8005551234",
            subscriber_id=other.public_id,
            now=now + timedelta(minutes=29),
        )
    assert e.value.code == "number_held"
    assert e.value.message.startswith(
        f"8005551234 is held for Sam Sample (Subscriber ID {cast.sam.public_id}) until"
    )

    line = assign_number(
        actor=actor,
        number="8005551234",
        subscriber_id=other.public_id,
        now=now + timedelta(minutes=31),
    )
    assert line.subscriber == other


def test_the_subscriber_it_is_held_for_gets_it_assigned(cast, actor_of):
    make_number(cast.acme, "8005551234")
    actor = actor_of(cast.bob)
    hold_number(actor=actor, number="8005551234", subscriber_id=cast.sam.public_id)

    line = assign_number(
        actor=actor, number="8005551234", subscriber_id=cast.sam.public_id
    )

    assert (line.status, line.subscriber, line.held_until) == (
        NumberStatus.ASSIGNED,
        cast.sam,
        None,
    )
    assert [e.action for e in events()] == ["number.held", "number.assigned"]


def test_unassigning_a_held_number_releases_the_hold(cast, actor_of):
    make_number(cast.acme, "8005551234")
    actor = actor_of(cast.bob)
    hold_number(actor=actor, number="8005551234", subscriber_id=cast.sam.public_id)

    line = unassign_number(actor=actor, number="8005551234")

    assert (line.status, line.subscriber) == (NumberStatus.AVAILABLE, None)
    assert events()[-1].action == "number.hold_released"


def test_expiring_tidies_lapsed_holds_and_finished_aging(cast, actor_of):
    now = timezone.now()
    make_number(
        cast.acme,
        "8005551234",
        status=NumberStatus.HELD,
        subscriber=cast.sam,
        held_until=now - timedelta(seconds=1),
    )
    make_number(
        cast.acme,
        "8005551235",
        status=NumberStatus.AGING,
        aging_until=now - timedelta(seconds=1),
    )
    make_number(
        cast.acme,
        "8005551236",
        status=NumberStatus.AGING,
        aging_until=now + timedelta(days=1),
    )

    assert expire_numbers(actor=actor_of(cast.alice), now=now) == 2

    statuses = dict(PhoneNumber.objects.values_list("dnis", "status"))
    assert statuses == {
        "8005551234": "available",
        "8005551235": "available",
        "8005551236": "aging",
    }
    assert [e.action for e in events()] == [
        "number.hold_expired",
        "number.aging_ended",
    ]


def test_expiring_as_a_partner_admin_leaves_other_partners_alone(cast, actor_of):
    now = timezone.now()
    make_number(
        cast.globex,
        "8005551234",
        status=NumberStatus.AGING,
        aging_until=now - timedelta(days=1),
    )
    assert expire_numbers(actor=actor_of(cast.alice), now=now) == 0
    assert PhoneNumber.objects.get().status == NumberStatus.AGING
