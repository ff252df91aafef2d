"""A contact phone typed without + is read in the time zone's country; when it
is not a number there but is one in the partner's own country, every door says
so and offers that reading instead of only "not a valid number"."""

import json

import pytest

from csrtool.errors import ValidationFailed
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import create_subscriber, update_subscriber

ACCOUNT = {
    "first_name": "Bea",
    "last_name": "Berlin",
    "email": "bea@customer.example",
    "phone": "312 555 0142",
    "time_zone": "Europe/Berlin",
    "billing_id": "B-7",
}
OFFER = (
    "Phone Number is not a valid number for DE (Germany, the time zone's "
    "country), but it is for US (United States, your partner's country). "
    "Did you mean +1 312-555-0142?"
)


def test_the_service_offers_the_partners_reading(cast, actor_of):
    with pytest.raises(ValidationFailed) as caught:
        create_subscriber(actor=actor_of(cast.bob), **ACCOUNT)
    assert caught.value.errors == {"phone": [OFFER]}
    assert not Subscriber.objects.filter(email="bea@customer.example").exists()


def test_accepting_the_offer_creates_the_account(cast, actor_of):
    bea = create_subscriber(
        actor=actor_of(cast.bob), **{**ACCOUNT, "phone": "+1 312-555-0142"}
    )
    assert (bea.phone, bea.time_zone) == ("+13125550142", "Europe/Berlin")


def test_a_number_of_the_zones_country_needs_no_offer(cast, actor_of):
    bea = create_subscriber(
        actor=actor_of(cast.bob), **{**ACCOUNT, "phone": "030 901820"}
    )
    assert bea.phone == "+4930901820"


@pytest.mark.parametrize("phone", ["555", "+49 312 555 0142"])
def test_no_offer_when_the_partners_country_does_not_read_it_either(
    cast, actor_of, phone
):
    with pytest.raises(ValidationFailed) as caught:
        create_subscriber(actor=actor_of(cast.bob), **{**ACCOUNT, "phone": phone})
    assert caught.value.errors == {
        "phone": ["Phone Number is not a valid number for DE."]
    }


def test_a_zone_without_a_country_offers_the_partners_reading(cast, actor_of):
    with pytest.raises(ValidationFailed) as caught:
        create_subscriber(actor=actor_of(cast.bob), **{**ACCOUNT, "time_zone": "UTC"})
    assert caught.value.errors["phone"] == [
        "Phone Number is not a phone number. The time zone has no country to "
        "read it in; it is valid for US (United States, your partner's "
        "country). Did you mean +1 312-555-0142?"
    ]


def test_editing_the_phone_gets_the_same_offer(cast, actor_of):
    cast.sam.time_zone = "Europe/Berlin"
    cast.sam.save()
    with pytest.raises(ValidationFailed) as caught:
        update_subscriber(
            actor=actor_of(cast.bob), public_id=cast.sam.public_id, phone="312 555 0142"
        )
    assert caught.value.errors == {"phone": [OFFER]}


def test_the_add_page_shows_the_offer_next_to_the_phone(cast, client_for):
    response = client_for(cast.bob).post("/subscribers/new/", ACCOUNT)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Did you mean +1 312-555-0142?" in page
    assert "Germany, the time zone&#x27;s country" in page


def test_the_api_gives_the_offer_as_the_fields_problem(cast, api_client_for):
    response = api_client_for(cast.acme).post(
        "/api/v1/subscribers", json.dumps(ACCOUNT), content_type="application/json"
    )
    assert response.status_code == 400
    assert {"field": "phone", "message": OFFER} in [
        {k: e[k] for k in ("field", "message")} for e in response.json()["errors"]
    ]
