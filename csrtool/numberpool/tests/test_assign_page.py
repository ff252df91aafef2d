from csrtool.conftest import make_subscriber
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number


def test_the_form_is_filled_in_when_arriving_from_a_subscriber_or_a_number(
    cast, client_for
):
    response = client_for(cast.bob).get(
        "/numbers/assign/", {"number": "8005551234", "subscriber": cast.sam.public_id}
    )
    assert 'value="8005551234"' in response.text
    assert f'value="{cast.sam.public_id}"' in response.text
    for button in ("Assign", "Unassign"):
        assert f'value="{button.lower()}"' in response.text


def test_assigning_confirms_at_the_top_of_the_screen(cast, client_for):
    make_number(cast.acme, "8005551234")

    response = client_for(cast.bob).post(
        "/numbers/assign/",
        {
            "number": "800-555-1234",
            "subscriber_id": cast.sam.public_id,
            "action": "assign",
        },
        follow=True,
    )

    assert (
        "8005551234 is now assigned to Sam Sample "
        f"(Subscriber ID {cast.sam.public_id})." in response.text
    )
    assert PhoneNumber.objects.get().subscriber == cast.sam


def test_unassigning_confirms_too(cast, client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    response = client_for(cast.bob).post(
        "/numbers/assign/",
        {
            "number": "8005551234",
            "subscriber_id": cast.sam.public_id,
            "action": "unassign",
        },
        follow=True,
    )
    assert "8005551234 is no longer assigned to Sam Sample" in response.text
    assert PhoneNumber.objects.get().status == NumberStatus.AGING


def test_holding_confirms_until_when(cast, client_for):
    make_number(cast.acme, "8005551234")
    response = client_for(cast.bob).post(
        "/numbers/assign/",
        {"number": "8005551234", "subscriber_id": cast.sam.public_id, "action": "hold"},
        follow=True,
    )
    assert "8005551234 is held for Sam Sample" in response.text
    assert PhoneNumber.objects.get().status == NumberStatus.HELD


def test_refusals_are_shown_next_to_the_field(cast, client_for):
    other = make_subscriber(cast.acme, email="olga@customer.example", first_name="Olga")
    make_number(cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=other)
    client = client_for(cast.bob)

    def refusal(number, subscriber_id, action="assign"):
        response = client.post(
            "/numbers/assign/",
            {"number": number, "subscriber_id": subscriber_id, "action": action},
        )
        assert response.status_code == 200
        return response.text

    assert "No number 8005550000 is in the pool." in refusal(
        "8005550000", cast.sam.public_id
    )
    assert "No subscriber has the Subscriber ID &#x27;nope&#x27;." in refusal(
        "8005551234", "nope"
    )
    assert (
        "8005551234 is already assigned to Olga Smith "
        f"(Subscriber ID {other.public_id})."
        in refusal("8005551234", cast.sam.public_id)
    )
    assert "not to Sam Sample" in refusal("8005551234", cast.sam.public_id, "unassign")
    assert PhoneNumber.objects.get().subscriber == other


def test_charlie_cannot_assign_acmes_number_to_globex(cast, client_for):
    make_number(cast.acme, "8005551234")
    response = client_for(cast.charlie).post(
        "/numbers/assign/",
        {
            "number": "8005551234",
            "subscriber_id": cast.gus.public_id,
            "action": "assign",
        },
    )
    assert "No number 8005551234 is in the pool." in response.text
    assert PhoneNumber.objects.get().status == NumberStatus.AVAILABLE


def test_an_auditor_does_not_get_the_page(cast, client_for):
    assert client_for(cast.avery).get("/numbers/assign/").status_code == 404
