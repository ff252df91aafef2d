import json

from csrtool.audit.models import AuditEvent
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number
from csrtool.partners.models import Role
from csrtool.subscribers.models import Subscriber

NEW = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@analytical.example",
    "phone": "+12125550123",
    "billing_id": "B1",
}


def post(client, body, key):
    return client.post(
        "/api/v1/subscribers",
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_a_retry_with_the_same_key_replays_the_first_answer(cast, api_client_for):
    api = api_client_for(cast.acme)
    first = post(api, NEW, "create-ada-1")
    retry = post(api, NEW, "create-ada-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert (
        Subscriber.objects.filter(email_canonical="ada@analytical.example").count() == 1
    )
    assert AuditEvent.objects.filter(action="subscriber.created").count() == 1


def test_the_same_key_with_another_body_is_refused(cast, api_client_for):
    api = api_client_for(cast.acme)
    post(api, NEW, "k-1")
    response = post(api, {**NEW, "email": "other@x.example"}, "k-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Subscriber.objects.filter(email_canonical="other@x.example").exists()


def test_refusals_are_replayed_too(cast, api_client_for):
    api = api_client_for(cast.acme)
    first = post(api, {**NEW, "email": "bad"}, "k-bad")
    again = post(api, {**NEW, "email": "bad"}, "k-bad")
    assert first.status_code == again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"


def test_keys_belong_to_one_api_key(cast, api_client_for):
    first = post(api_client_for(cast.acme), NEW, "shared-key")
    other = post(
        api_client_for(cast.globex),
        {**NEW, "email": "g@x.example", "phone": "+442079460001"},
        "shared-key",
    )
    assert first.status_code == other.status_code == 201
    assert "Idempotent-Replayed" not in other


def test_without_a_key_each_post_runs(cast, api_client_for):
    api = api_client_for(cast.acme)
    api.post("/api/v1/subscribers", json.dumps(NEW), content_type="application/json")
    again = api.post(
        "/api/v1/subscribers", json.dumps(NEW), content_type="application/json"
    )
    assert again.status_code == 400  # the address is now taken


def test_an_unreasonable_key_is_refused(cast, api_client_for):
    response = post(api_client_for(cast.acme), NEW, "x" * 300)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


def import_numbers(client, query, key):
    return client.post(
        "/api/v1/numbers/import" + query,
        b"number,dnis,type,country_code,area_code,subscriber_id\n"
        b"+18005550100,8005550100,tollfree,1,800,\n",
        content_type="text/csv",
        headers={"Idempotency-Key": key},
    )


def test_the_same_key_with_another_query_string_is_refused(cast, api_client_for):
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)
    preview = import_numbers(api, "?dry_run=true", "import-1")
    assert preview.json()["dry_run"] is True

    response = import_numbers(api, "?dry_run=false", "import-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert not PhoneNumber.objects.exists()
    assert import_numbers(api, "?dry_run=false", "import-2").json()["added"] == 1


def test_the_same_key_on_another_path_is_refused(cast, api_client_for):
    make_number(cast.acme, "8005550101")
    make_number(cast.acme, "8005550102")
    api = api_client_for(cast.acme, role=Role.PARTNER_ADMIN)

    def retire(dnis):
        return api.post(
            f"/api/v1/numbers/{dnis}/retire",
            json.dumps({"reason": "Ported out"}),
            content_type="application/json",
            headers={"Idempotency-Key": "retire-1"},
        )

    assert retire("8005550101").status_code == 200
    response = retire("8005550102")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert PhoneNumber.objects.get(dnis="8005550102").status == NumberStatus.AVAILABLE


def test_the_same_key_with_another_method_is_refused(cast, api_client_for):
    api = api_client_for(cast.acme)
    created = post(api, NEW, "ada-1").json()

    response = api.patch(
        f"/api/v1/subscribers/{created['subscriber_id']}",
        json.dumps({"billing_id": "B2"}),
        content_type="application/json",
        headers={"Idempotency-Key": "ada-1"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Subscriber.objects.get(public_id=created["subscriber_id"]).billing_id == "B1"


def test_a_patch_retried_with_its_key_replays_the_first_answer(cast, api_client_for):
    api = api_client_for(cast.acme)

    def edit(billing_id):
        return api.patch(
            f"/api/v1/subscribers/{cast.sam.public_id}",
            json.dumps({"billing_id": billing_id}),
            content_type="application/json",
            headers={"Idempotency-Key": "edit-1"},
        )

    first, again = edit("B7"), edit("B7")
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="subscriber.updated").count() == 1
