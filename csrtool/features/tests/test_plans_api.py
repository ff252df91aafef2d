"""Plans, the catalog and entitlements through the API, with the pages' rules."""

import json

from django.test import Client

from csrtool.api.services import create_operator_key
from csrtool.audit.models import AuditEvent
from csrtool.features.models import Plan
from csrtool.features.tests.conftest import enabled, make_plan, narrow
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Role

BASIC = {"name": "Basic", "description": "IVR and SMS", "features": ["voice_sites"]}


def send(api, method, path, body):
    return getattr(api, method)(path, json.dumps(body), content_type="application/json")


def fields(response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


def operator_api() -> Client:
    _, secret = create_operator_key(actor=cli_actor(), name="provisioning")
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_partner_admin_defines_changes_and_removes_a_plan(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    created = send(api, "post", "/api/v1/features/plans", BASIC)
    assert created.status_code == 201
    plan_id = created.json()["id"]
    assert created.json()["features"] == ["voice_sites"]

    changed = send(
        api,
        "put",
        f"/api/v1/features/plans/{plan_id}",
        {**BASIC, "features": ["voice_sites", "sms"]},
    )
    assert changed.json()["features"] == ["sms", "voice_sites"]
    assert api.get(f"/api/v1/features/plans/{plan_id}").json()["name"] == "Basic"

    assert api.delete(f"/api/v1/features/plans/{plan_id}").status_code == 204
    assert not Plan.objects.filter(pk=plan_id).exists()
    actions = set(
        AuditEvent.objects.filter(channel="api").values_list("action", flat=True)
    )
    assert {"plan.created", "plan.updated", "plan.deleted"} <= actions


def test_a_plan_is_refused_as_on_the_page(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    make_plan(cast.alice, "Basic", "sms")
    taken = send(api, "post", "/api/v1/features/plans", BASIC)
    assert taken.status_code == 400 and fields(taken) == {"name"}
    # Outbound campaigns need voice sites.
    missing = send(
        api,
        "post",
        "/api/v1/features/plans",
        {"name": "Campaigns", "features": ["outbound_campaigns"]},
    )
    assert missing.status_code == 400 and fields(missing) == {"features"}
    assert "needs Voice sites (IVR)" in missing.json()["detail"]
    assert not Plan.objects.filter(name="Campaigns").exists()
    narrow(cast.acme, "sms")
    refused = send(
        api,
        "post",
        "/api/v1/features/plans",
        {"name": "Web", "features": ["web_chat"]},
    )
    assert refused.status_code == 400
    assert "may not grant Web chat" in refused.json()["detail"]
    assert not Plan.objects.filter(name="Web").exists()


def test_csrs_use_plans_but_do_not_define_them(cast, api_client_for):
    plan = make_plan(cast.alice, "Basic", "sms")
    api = api_client_for(cast.acme, Role.CSR)
    assert api.get(f"/api/v1/features/plans/{plan.pk}").status_code == 200
    assert send(api, "post", "/api/v1/features/plans", BASIC).status_code == 403
    assert api.delete(f"/api/v1/features/plans/{plan.pk}").status_code == 403
    assert Plan.objects.filter(pk=plan.pk).exists()


def test_another_partners_plan_answers_as_unknown(cast, api_client_for):
    plan = make_plan(cast.alice, "Basic", "sms")
    api = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    assert api.get(f"/api/v1/features/plans/{plan.pk}").status_code == 404
    assert (
        send(api, "put", f"/api/v1/features/plans/{plan.pk}", BASIC).status_code == 404
    )
    assert api.delete(f"/api/v1/features/plans/{plan.pk}").status_code == 404
    assert api.get("/api/v1/features/entitlements/acme").status_code == 404
    plan.refresh_from_db()
    assert plan.name == "Basic"


def test_the_operator_narrows_a_partner_and_the_partner_reads_it(cast, api_client_for):
    operator = operator_api()
    response = send(
        operator,
        "put",
        "/api/v1/features/entitlements/acme",
        {"features": ["voice_sites", "sms"]},
    )
    assert response.status_code == 200
    assert response.json() == {
        "partner": "acme",
        "restricted": True,
        "features": ["sms", "voice_sites"],
    }
    acme = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    assert acme.get("/api/v1/features/entitlements/acme").json()["features"] == [
        "sms",
        "voice_sites",
    ]
    # A partner does not widen its own entitlements.
    widen = send(acme, "put", "/api/v1/features/entitlements/acme", {"features": None})
    assert widen.status_code == 403
    whole = send(
        operator, "put", "/api/v1/features/entitlements/acme", {"features": None}
    )
    assert whole.json()["restricted"] is False


def test_the_operator_changes_a_catalog_feature(cast, api_client_for):
    operator = operator_api()
    body = {
        "name": "Short messages",
        "description": "SMS on the account's numbers.",
        "dependencies": [],
        "active": True,
    }
    response = send(operator, "put", "/api/v1/features/catalog/sms", body)
    assert response.status_code == 200 and response.json()["name"] == "Short messages"
    catalog = api_client_for(cast.acme).get("/api/v1/features/catalog").json()
    assert {f["key"]: f["name"] for f in catalog["items"]}["sms"] == "Short messages"
    partner = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    assert send(partner, "put", "/api/v1/features/catalog/sms", body).status_code == 403
    # The operator's key reaches no subscriber.
    assert operator.get("/api/v1/features/plans").status_code == 401
    assert not enabled(cast.sam)
