import pytest

from csrtool.errors import Conflict, NotFound
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.services import remove_number
from csrtool.numberpool.tests.make import events, make_number


def test_it_removes_an_available_number_by_dnis(cast, actor_of):
    make_number(cast.acme, "8005551234")

    remove_number(actor=actor_of(cast.alice), dnis="8005551234")

    assert not PhoneNumber.objects.exists()
    [event] = events("number.removed")
    assert event.before["dnis"] == "8005551234"
    assert event.partner == cast.acme


def test_it_refuses_to_remove_an_assigned_number(cast, actor_of):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    with pytest.raises(Conflict) as e:
        remove_number(actor=actor_of(cast.alice), dnis="8005551234")

    assert e.value.message == (
        f"8005551234 is assigned to Sam Sample (Subscriber ID {cast.sam.public_id}). "
        "Unassign it first, then remove it."
    )
    assert PhoneNumber.objects.count() == 1


def test_a_foreign_number_answers_like_an_unknown_one(cast, actor_of):
    make_number(cast.globex, "8005551234")

    with pytest.raises(NotFound) as foreign:
        remove_number(actor=actor_of(cast.alice), dnis="8005551234")
    with pytest.raises(NotFound) as unknown:
        remove_number(actor=actor_of(cast.alice), dnis="8005550000")

    assert foreign.value.message == "No number 8005551234 is in the pool."
    assert unknown.value.message == "No number 8005550000 is in the pool."
    assert PhoneNumber.objects.count() == 1
