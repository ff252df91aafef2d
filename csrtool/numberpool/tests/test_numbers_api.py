import json

import pytest

from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import events, make_number
from csrtool.partners.models import Role
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID

NEW = {
    "number": "+1 800 555 1234",
    "dnis": "8005551234",
    "number_type": "tollfree",
    "country_code": "1",
    "area_code": "800",
}


def test_a_partner_admin_key_adds_and_removes_a_number(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)

    created = api.post("/api/v1/numbers", NEW, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["number"] == "+18005551234"
    assert created.json()["status"] == "available"
    assert events("number.added")[0].channel == "api"

    assert api.delete("/api/v1/numbers/8005551234").status_code == 204
    assert not PhoneNumber.objects.exists()


def test_a_full_number_is_enough_and_the_subscriber_may_be_its_login_email(
    cast, api_client_for
):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    created = api.post(
        "/api/v1/numbers",
        {
            "number": "+1 800 555 1234",
            "number_type": "tollfree",
            "subscriber_id": "sam@customer.example",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["dnis"], body["country_code"], body["area_code"]) == (
        "8005551234",
        "1",
        "800",
    )
    assert body["subscriber_id"] == cast.sam.public_id
    refused = api.post(
        "/api/v1/numbers",
        {"number": "800-555-1235", "number_type": "tollfree"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"dnis", "country_code"}


def test_field_errors_come_back_as_problem_details(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    response = api.post(
        "/api/v1/numbers",
        {**NEW, "dnis": "8005559999"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["field"] == "dnis"


def test_a_csr_key_assigns_and_a_second_assign_gets_409_already_assigned(
    cast, api_client_for
):
    make_number(cast.acme, "8005551234")
    api = api_client_for(cast.acme)

    response = api.post(
        "/api/v1/numbers/8005551234/assign",
        {"subscriber_id": cast.sam.public_id},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["subscriber_id"] == cast.sam.public_id

    again = api.post(
        "/api/v1/numbers/8005551234/assign",
        {"subscriber_id": cast.sam.public_id},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_assigned"
    assert again.headers["Content-Type"].startswith("application/problem+json")


def test_unassign_and_hold(cast, api_client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    make_number(cast.acme, "8005551235")
    api = api_client_for(cast.acme)

    released = api.post(
        "/api/v1/numbers/8005551234/unassign",
        {"subscriber_id": cast.sam.public_id},
        content_type="application/json",
    )
    held = api.post(
        "/api/v1/numbers/8005551235/hold",
        {"subscriber_id": cast.sam.public_id},
        content_type="application/json",
    )

    assert released.json()["status"] == "aging"
    assert released.json()["aging_until"] is not None
    assert held.json()["status"] == "held"


def test_get_shows_the_number_and_its_owners(cast, api_client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    body = api_client_for(cast.acme).get("/api/v1/numbers/8005551234").json()
    assert body["subscriber_id"] == cast.sam.public_id
    assert [o["subscriber_id"] for o in body["owners"]] == [cast.sam.public_id]


def test_list_searches_filters_and_pages(cast, api_client_for):
    for i in range(5):
        make_number(cast.acme, f"800555123{i}")
    make_number(cast.acme, "2125550000", number_type="local")
    make_number(cast.globex, "8005551239")
    api = api_client_for(cast.acme)

    first = api.get("/api/v1/numbers", {"q": "5551", "limit": 3}).json()
    assert [n["dnis"] for n in first["items"]] == [
        "8005551230",
        "8005551231",
        "8005551232",
    ]
    second = api.get(
        "/api/v1/numbers", {"q": "5551", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [n["dnis"] for n in second["items"]] == ["8005551233", "8005551234"]
    assert second["next_cursor"] is None
    local = api.get("/api/v1/numbers", {"number_type": "local", "available": True})
    assert [n["dnis"] for n in local.json()["items"]] == ["2125550000"]
    by_letters = api.get("/api/v1/numbers", {"country_code": "US", "area_code": "212"})
    assert [n["dnis"] for n in by_letters.json()["items"]] == ["2125550000"]
    nowhere = api.get("/api/v1/numbers", {"country_code": "ZZ"})
    assert nowhere.status_code == 400
    assert nowhere.json()["errors"] == [
        {
            "field": "country_code",
            "message": "A country code is digits, such as 44, or a country's two "
            "letters, such as GB.",
        }
    ]


def problem_of(response, value: str) -> tuple[int, str, dict]:
    """Status, content type and problem+json body, with `value` and the request's
    own ID masked."""
    body = json.loads(response.content.decode().replace(value, "<masked>"))
    if body.get("request_id"):
        body["request_id"] = "<request>"
    return response.status_code, response["Content-Type"], body


NUMBER_ROUTES = [
    ("get", "", None),
    ("delete", "", None),
    ("post", "/retire", {"reason": "Porting out"}),
    ("post", "/unretire", {"reason": "Back"}),
    ("post", "/assign", {"subscriber_id": "<gus>"}),
    ("post", "/unassign", {"subscriber_id": "<gus>"}),
    ("post", "/hold", {"subscriber_id": "<gus>"}),
]


@pytest.mark.parametrize(("method", "suffix", "payload"), NUMBER_ROUTES)
def test_globex_keys_see_acmes_numbers_as_unknown(
    cast, api_client_for, method, suffix, payload
):
    make_number(cast.acme, "8005551234")
    api = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    kwargs = {"content_type": "application/json"}
    if payload is not None:
        kwargs["data"] = json.dumps(payload).replace("<gus>", cast.gus.public_id)

    answers = [
        problem_of(
            getattr(api, method)(f"/api/v1/numbers/{dnis}{suffix}", **kwargs), dnis
        )
        for dnis in ("8005551234", "8005550000")
    ]

    foreign, unknown = answers
    assert foreign == unknown
    assert foreign[:2] == (404, "application/problem+json")
    assert foreign[2]["detail"] == "No number <masked> is in the pool."
    line = PhoneNumber.objects.get()
    assert (line.partner, line.status) == (cast.acme, NumberStatus.AVAILABLE)
    assert events() == []


@pytest.mark.parametrize("suffix", ["/assign", "/hold", "/unassign"])
def test_acmes_subscriber_is_unknown_to_globex_numbers(cast, api_client_for, suffix):
    make_number(cast.globex, "4155551200")
    api = api_client_for(cast.globex, Role.PARTNER_ADMIN)

    answers = [
        problem_of(
            api.post(
                f"/api/v1/numbers/4155551200{suffix}",
                {"subscriber_id": public_id},
                content_type="application/json",
            ),
            public_id,
        )
        for public_id in (cast.sam.public_id, UNKNOWN_SUBSCRIBER_ID)
    ]

    foreign, unknown = answers
    assert foreign == unknown
    assert foreign[:2] == (404, "application/problem+json")
    assert foreign[2]["detail"] == "No subscriber has the Subscriber ID '<masked>'."
    assert PhoneNumber.objects.get().status == NumberStatus.AVAILABLE


def test_globex_searches_do_not_find_acmes_numbers(cast, api_client_for):
    make_number(cast.acme, "8005551234")
    api = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    assert api.get("/api/v1/numbers", {"q": "5551"}).json()["items"] == []
    assert api.get("/api/v1/numbers", {"q": "8005551234"}).json()["items"] == []


def test_a_csr_key_cannot_add_numbers(cast, api_client_for):
    response = api_client_for(cast.acme).post(
        "/api/v1/numbers", NEW, content_type="application/json"
    )
    assert response.status_code == 403
    assert not PhoneNumber.objects.exists()
