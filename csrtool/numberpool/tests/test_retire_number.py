import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from csrtool.errors import Conflict, NotFound, PermissionDenied
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.self_service import offered_numbers
from csrtool.numberpool.services import (
    assign_number,
    hold_number,
    retire_number,
    unretire_number,
)
from csrtool.numberpool.tests.make import events, make_number
from csrtool.partners.models import Role


def status_of(dnis):
    return PhoneNumber.objects.get(dnis=dnis).status


# The service


def test_a_partner_admin_retires_an_available_number_with_a_reason(cast, actor_of):
    make_number(cast.acme, "8005551234")

    line = retire_number(
        actor=actor_of(cast.alice), number="800-555-1234", reason="Carrier port-out"
    )

    assert line.status == NumberStatus.RETIRED
    [event] = events("number.retired")
    assert event.before["status"] == "available"
    assert event.after["status"] == "retired"
    assert event.reason == "Carrier port-out"
    assert (event.partner, event.actor_user) == (cast.acme, cast.alice)


def test_a_retired_number_cannot_be_assigned_or_offered(cast, actor_of):
    make_number(cast.acme, "8005551234")
    retire_number(actor=actor_of(cast.alice), number="8005551234")

    with pytest.raises(Conflict) as e:
        assign_number(
            actor=actor_of(cast.bob),
            number="8005551234",
            subscriber_id=cast.sam.public_id,
        )

    assert e.value.message == "8005551234 is retired and cannot be assigned."
    assert not PhoneNumber.objects.available().exists()
    assert not offered_numbers(cast.sam).exists()


def test_retiring_a_held_number_ends_the_hold(cast, actor_of):
    make_number(cast.acme, "8005551234")
    hold_number(
        actor=actor_of(cast.bob),
        number="8005551234",
        subscriber_id=cast.sam.public_id,
    )

    line = retire_number(actor=actor_of(cast.alice), number="8005551234")

    assert (line.status, line.subscriber, line.held_until) == (
        NumberStatus.RETIRED,
        None,
        None,
    )
    [event] = events("number.retired")
    assert event.before["subscriber"] == cast.sam.public_id


def test_retiring_an_aging_number_ends_the_previous_owners_claim(cast, actor_of):
    make_number(
        cast.acme,
        "8005551234",
        status=NumberStatus.AGING,
        aging_until=timezone.now() + timedelta(days=30),
        previous_subscriber=cast.sam,
    )

    line = retire_number(actor=actor_of(cast.alice), number="8005551234")

    assert (line.status, line.aging_until, line.previous_subscriber) == (
        NumberStatus.RETIRED,
        None,
        None,
    )
    assert not offered_numbers(cast.sam).exists()


def test_it_refuses_to_retire_an_assigned_number(cast, actor_of):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    with pytest.raises(Conflict) as e:
        retire_number(actor=actor_of(cast.alice), number="8005551234")

    assert e.value.message == (
        f"8005551234 is assigned to Sam Sample (Subscriber ID {cast.sam.public_id}). "
        "Unassign it first, then retire it."
    )
    assert e.value.code == "number_assigned"
    assert status_of("8005551234") == NumberStatus.ASSIGNED
    assert not events("number.retired")


def test_it_refuses_to_retire_a_number_twice(cast, actor_of):
    make_number(cast.acme, "8005551234", status=NumberStatus.RETIRED)

    with pytest.raises(Conflict) as e:
        retire_number(actor=actor_of(cast.alice), number="8005551234")

    assert e.value.message == "8005551234 is already retired."
    assert not events()


def test_returning_to_the_pool_makes_a_retired_number_available(cast, actor_of):
    make_number(cast.acme, "8005551234")
    retire_number(actor=actor_of(cast.alice), number="8005551234")

    line = unretire_number(
        actor=actor_of(cast.alice), number="8005551234", reason="Port-out cancelled"
    )

    assert line.status == NumberStatus.AVAILABLE
    [event] = events("number.unretired")
    assert (event.before["status"], event.after["status"]) == ("retired", "available")
    assert event.reason == "Port-out cancelled"
    assert [line.dnis for line in offered_numbers(cast.sam)] == ["8005551234"]


def test_it_refuses_to_return_a_number_that_is_not_retired(cast, actor_of):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    with pytest.raises(Conflict) as e:
        unretire_number(actor=actor_of(cast.alice), number="8005551234")

    assert e.value.message == "8005551234 is not retired; it is assigned."
    assert e.value.code == "not_retired"
    assert status_of("8005551234") == NumberStatus.ASSIGNED
    assert not events("number.unretired")


@pytest.mark.parametrize("service", [retire_number, unretire_number])
def test_a_csr_or_an_auditor_cannot_retire_or_return_numbers(cast, actor_of, service):
    make_number(cast.acme, "8005551234", status=NumberStatus.RETIRED)

    for user in (cast.bob, cast.avery):
        with pytest.raises(PermissionDenied):
            service(actor=actor_of(user), number="8005551234")

    assert status_of("8005551234") == NumberStatus.RETIRED
    assert not events()


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (retire_number, NumberStatus.AVAILABLE),
        (unretire_number, NumberStatus.RETIRED),
    ],
)
def test_a_foreign_number_answers_like_an_unknown_one(cast, actor_of, service, status):
    make_number(cast.acme, "8005551234", status=status)

    with pytest.raises(NotFound) as foreign:
        service(actor=actor_of(cast.gina), number="8005551234")
    with pytest.raises(NotFound) as unknown:
        service(actor=actor_of(cast.gina), number="8005550000")

    assert foreign.value.message == "No number 8005551234 is in the pool."
    assert unknown.value.message == "No number 8005550000 is in the pool."
    assert status_of("8005551234") == status
    assert not events()


def test_the_operator_retires_any_partners_number(cast, cli):
    make_number(cast.globex, "8005551234")

    retire_number(actor=cli, number="8005551234")

    assert status_of("8005551234") == NumberStatus.RETIRED
    assert events("number.retired")[0].partner == cast.globex


# The number's page


def test_the_number_page_offers_retire_to_a_partner_admin_only(cast, client_for):
    make_number(cast.acme, "8005551234")

    admin = client_for(cast.alice).get("/numbers/8005551234/").text
    csr = client_for(cast.bob).get("/numbers/8005551234/").text

    assert 'value="retire"' in admin
    assert '<label for="id_retire-reason">Reason</label>' in admin
    assert "retire" not in csr.lower()


def test_the_number_page_of_an_assigned_number_says_to_unassign_it_first(
    cast, client_for
):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    page = client_for(cast.alice).get("/numbers/8005551234/").text

    assert 'value="retire"' not in page
    assert "To retire this number, unassign it first." in page


def test_retire_and_return_to_pool_from_the_number_page(cast, client_for):
    make_number(cast.acme, "8005551234")
    client = client_for(cast.alice)

    retired = client.post(
        "/numbers/8005551234/retire/",
        {"action": "retire", "retire-reason": "Spam calls"},
        follow=True,
    )

    assert "8005551234 is retired: nobody can be given it." in retired.text
    assert ">Return to pool</button>" in retired.text
    assert status_of("8005551234") == NumberStatus.RETIRED
    assert events("number.retired")[0].reason == "Spam calls"
    assert events("number.retired")[0].channel == "web"

    returned = client.post(
        "/numbers/8005551234/retire/", {"action": "unretire"}, follow=True
    )

    assert "8005551234 is back in the pool, available." in returned.text
    assert status_of("8005551234") == NumberStatus.AVAILABLE


def test_the_page_shows_why_a_number_cannot_be_retired(cast, client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    response = client_for(cast.alice).post(
        "/numbers/8005551234/retire/", {"action": "retire"}, follow=True
    )

    assert "Unassign it first, then retire it." in response.text
    assert status_of("8005551234") == NumberStatus.ASSIGNED


def test_a_csr_cannot_retire_from_the_page(cast, client_for):
    make_number(cast.acme, "8005551234")

    response = client_for(cast.bob).post(
        "/numbers/8005551234/retire/", {"action": "retire"}
    )

    # Like every page a role may not use: answered as if it did not exist.
    assert response.status_code == 404
    assert status_of("8005551234") == NumberStatus.AVAILABLE


def test_another_partners_admin_gets_404_from_the_page(cast, client_for):
    make_number(cast.acme, "8005551234")

    response = client_for(cast.gina).post(
        "/numbers/8005551234/retire/", {"action": "retire"}
    )

    assert response.status_code == 404
    assert status_of("8005551234") == NumberStatus.AVAILABLE
    assert not events()


# The API


def test_a_partner_admin_key_retires_and_returns_a_number(cast, api_client_for):
    make_number(cast.acme, "8005551234")
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)

    retired = api.post(
        "/api/v1/numbers/8005551234/retire",
        {"reason": "Port-out"},
        content_type="application/json",
    )
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired"
    assert events("number.retired")[0].channel == "api"
    assert events("number.retired")[0].reason == "Port-out"

    again = api.post(
        "/api/v1/numbers/8005551234/retire", {}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "number_retired"

    returned = api.post(
        "/api/v1/numbers/8005551234/unretire", {}, content_type="application/json"
    )
    assert returned.status_code == 200
    assert returned.json()["status"] == "available"


def test_the_api_refuses_to_retire_an_assigned_number(cast, api_client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    response = api_client_for(cast.acme, Role.PARTNER_ADMIN).post(
        "/api/v1/numbers/8005551234/retire", {}, content_type="application/json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "number_assigned"
    assert "Unassign it first" in response.json()["detail"]


def test_the_api_answers_403_to_a_csr_key_and_404_to_another_partner(
    cast, api_client_for
):
    make_number(cast.acme, "8005551234")

    def retire(api, dnis):
        return api.post(
            f"/api/v1/numbers/{dnis}/retire", {}, content_type="application/json"
        )

    globex = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    csr = retire(api_client_for(cast.acme), "8005551234")
    foreign = retire(globex, "8005551234")
    unknown = retire(globex, "8005550000")

    assert csr.status_code == 403
    assert foreign.status_code == 404
    assert foreign.json()["detail"] == "No number 8005551234 is in the pool."
    assert unknown.json()["detail"] == "No number 8005550000 is in the pool."
    assert status_of("8005551234") == NumberStatus.AVAILABLE


def test_a_retry_with_the_same_idempotency_key_retires_once(cast, api_client_for):
    make_number(cast.acme, "8005551234")
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)

    def retire():
        return api.post(
            "/api/v1/numbers/8005551234/retire",
            {"reason": "Port-out"},
            content_type="application/json",
            headers={"Idempotency-Key": "r-1"},
        )

    first = retire()
    again = retire()

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(events("number.retired")) == 1


# The command line


def test_the_cli_retires_and_unretires_a_number(cast, capsys):
    make_number(cast.acme, "8005551234")

    call_command("numbers", "retire", "8005551234", "--as", "alice@acme.example")
    assert capsys.readouterr().out.strip() == "8005551234 is retired."
    assert events("number.retired")[0].channel == "cli"

    call_command("numbers", "unretire", "8005551234", "--reason", "Back", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "available"
    assert events("number.unretired")[0].reason == "Back"


def test_the_cli_explains_why_it_cannot_retire_an_assigned_number(cast):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )

    with pytest.raises(CommandError, match="Unassign it first, then retire it."):
        call_command("numbers", "retire", "8005551234")


def test_the_cli_answers_another_partners_number_like_an_unknown_one(cast):
    make_number(cast.acme, "8005551234")

    with pytest.raises(CommandError) as foreign:
        call_command("numbers", "retire", "8005551234", "--as", "gina@globex.example")

    assert str(foreign.value) == "No number 8005551234 is in the pool."
    assert status_of("8005551234") == NumberStatus.AVAILABLE
