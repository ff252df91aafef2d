from django.utils import timezone

from csrtool.numberpool.models import NumberAssignment, NumberStatus, PhoneNumber
from csrtool.numberpool.services import hold_number
from csrtool.numberpool.tests.make import events, make_number
from csrtool.subscribers.services import change_status


def test_closing_a_subscriber_ages_all_its_numbers_and_drops_its_holds(cast, actor_of):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(
        cast.acme, "8005551235", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(cast.acme, "8005551236")
    actor = actor_of(cast.bob)
    hold_number(actor=actor, number="8005551236", subscriber_id=cast.sam.public_id)

    subscriber = change_status(
        actor=actor, public_id=cast.sam.public_id, transition="close", reason="churn"
    )

    statuses = dict(PhoneNumber.objects.values_list("dnis", "status"))
    assert statuses == {
        "8005551234": "aging",
        "8005551235": "aging",
        "8005551236": "available",
    }
    assert not PhoneNumber.objects.filter(subscriber=cast.sam).exists()
    assert not NumberAssignment.objects.filter(released_at__isnull=True).exists()
    assert set(NumberAssignment.objects.values_list("released_at", flat=True)) == {
        subscriber.closed_at
    }
    released = events("number.unassigned")
    assert [e.target_id for e in released] == ["8005551234", "8005551235"]
    assert {e.reason for e in released} == {"The account was closed."}


def test_suspending_a_subscriber_keeps_its_numbers(cast, actor_of):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    change_status(
        actor=actor_of(cast.bob), public_id=cast.sam.public_id, transition="suspend"
    )

    assert PhoneNumber.objects.get().subscriber == cast.sam


def test_the_history_keeps_every_owner_of_a_number(cast, actor_of):
    from csrtool.conftest import make_subscriber
    from csrtool.numberpool.services import assign_number, unassign_number

    cast.acme.number_aging_days = 0
    cast.acme.save()
    other = make_subscriber(cast.acme, email="olga@customer.example", first_name="Olga")
    make_number(cast.acme, "8005551234")
    actor = actor_of(cast.bob)
    assign_number(actor=actor, number="8005551234", subscriber_id=cast.sam.public_id)
    unassign_number(actor=actor, number="8005551234")
    assign_number(actor=actor, number="8005551234", subscriber_id=other.public_id)

    owners = list(
        NumberAssignment.objects.order_by("assigned_at", "pk").values_list(
            "subscriber__first_name", "released_at"
        )
    )
    assert [name for name, _ in owners] == ["Sam", "Olga"]
    assert owners[0][1] is not None and owners[1][1] is None
    assert timezone.now() >= owners[0][1]
