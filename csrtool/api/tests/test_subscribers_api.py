import json

from csrtool.audit.models import AuditEvent
from csrtool.partners.models import Role
from csrtool.subscribers.models import Subscriber

NEW = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "Ada@Analytical.example",
    "phone": "212-555-0123",
    "billing_id": "not_used",
}


def post(client, path, body, **headers):
    return client.post(
        path, json.dumps(body), content_type="application/json", headers=headers
    )


def test_it_creates_a_subscriber(cast, api_client_for):
    response = post(api_client_for(cast.acme), "/api/v1/subscribers", NEW)
    assert response.status_code == 201
    body = response.json()
    subscriber = Subscriber.objects.get(public_id=body["subscriber_id"])
    assert subscriber.partner == cast.acme
    assert body["email"] == "Ada@analytical.example"
    assert body["phone"] == "+12125550123"
    assert body["time_zone"] == "America/New_York"
    assert body["date_format"] == "M/d/yy"
    assert body["status"] == "pending_activation"
    event = AuditEvent.objects.get(action="subscriber.created")
    assert event.channel == "api"
    assert event.actor_kind == "api_key"
    assert event.actor_label.startswith("api-key:test csr (")


def test_bad_fields_answer_400_problem_json_listing_each(cast, api_client_for):
    response = post(
        api_client_for(cast.acme),
        "/api/v1/subscribers",
        {**NEW, "email": "nope", "billing_id": " ", "time_zone": "Mars/Base"},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["status"] == 400
    fields = {e["field"] for e in body["errors"]}
    # Without a valid zone the local-format phone has no country either.
    assert fields == {"email", "billing_id", "time_zone", "phone"}
    assert not Subscriber.objects.filter(last_name="Lovelace").exists()


def test_a_schema_mismatch_is_a_problem_too(cast, api_client_for):
    response = post(api_client_for(cast.acme), "/api/v1/subscribers", {"first_name": 3})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {"last_name", "email"} <= {e["field"] for e in body["errors"]}


def test_a_taken_address_is_refused_without_naming_the_holder(cast, api_client_for):
    response = post(
        api_client_for(cast.acme),
        "/api/v1/subscribers",
        {**NEW, "email": "GUS@other.example"},
    )
    assert response.status_code == 400
    assert "Globex" not in response.content.decode()
    assert response.json()["errors"] == [
        {
            "field": "email",
            "message": "This email address is already in use.",
        }
    ]


def test_get_list_patch_and_status(cast, api_client_for):
    api = api_client_for(cast.acme)
    sam = cast.sam.public_id
    assert api.get(f"/api/v1/subscribers/{sam}").json()["billing_id"] == "ACME-100"
    response = api.patch(
        f"/api/v1/subscribers/{sam}",
        json.dumps({"time_zone": "Europe/Berlin"}),
        content_type="application/json",
    )
    assert response.json()["date_format"] == "dd.MM.yy"
    found = api.get("/api/v1/subscribers", {"q": "sam@customer"}).json()
    assert [s["subscriber_id"] for s in found["items"]] == [sam]
    response = post(api, f"/api/v1/subscribers/{sam}/suspend", {"reason": "asked"})
    assert response.json()["status"] == "suspended"
    response = post(api, f"/api/v1/subscribers/{sam}/suspend", {})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_lists_are_cursor_paginated(cast, api_client_for):
    from csrtool.conftest import make_subscriber

    for i in range(7):
        make_subscriber(cast.acme, email=f"p{i}@page.example")
    api = api_client_for(cast.acme)
    seen, cursor = [], None
    while True:
        params = {"q": "page.example", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/api/v1/subscribers", params).json()
        seen += [s["email"] for s in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(f"p{i}@page.example" for i in range(7))


def test_an_auditor_key_reads_but_cannot_write(cast, api_client_for):
    api = api_client_for(cast.acme, role=Role.AUDITOR)
    assert api.get(f"/api/v1/subscribers/{cast.sam.public_id}").status_code == 200
    response = post(api, "/api/v1/subscribers", NEW)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_unknown_paths_answer_problem_json(cast, api_client_for):
    response = api_client_for(cast.acme).get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_body_that_is_not_a_json_object_is_refused(cast, api_client_for):
    api = api_client_for(cast.acme)
    for body in ('"Sam"', "[]", "3"):
        response = api.patch(
            f"/api/v1/subscribers/{cast.sam.public_id}",
            body,
            content_type="application/json",
        )
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "invalid_body"
    broken = api.patch(
        f"/api/v1/subscribers/{cast.sam.public_id}",
        '{"language": ',
        content_type="application/json",
    )
    assert broken.json()["detail"] == "The body is not valid JSON."
