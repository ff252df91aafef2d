from csrtool.features.tests.conftest import enabled, events, give, make_plan, narrow
from csrtool.partners.models import Role


def path(subscriber, rest=""):
    return f"/api/v1/features/subscribers/{subscriber.public_id}{rest}"


def test_the_catalog_says_what_the_partner_may_grant(cast, api_client_for):
    narrow(cast.acme, "sms")
    body = api_client_for(cast.acme).get("/api/v1/features/catalog").json()
    by_key = {f["key"]: f for f in body["items"]}
    assert by_key["sms"]["grantable"] is True
    assert by_key["reporting"]["grantable"] is False
    assert body["next_cursor"] is None


def test_get_and_put_a_subscribers_features(cast, api_client_for):
    api = api_client_for(cast.acme)
    response = api.put(
        path(cast.sam),
        {"features": ["sms", "reporting"], "reason": "ticket 42"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["features"] == ["reporting", "sms"]
    assert api.get(path(cast.sam)).json()["sources"] == {
        "sms": "added",
        "reporting": "added",
    }
    [event] = events("subscriber.features_changed", cast.sam)
    assert event.channel == "api"
    assert event.reason == "ticket 42"


def test_a_missing_dependency_answers_409_naming_it(cast, api_client_for):
    response = api_client_for(cast.acme).put(
        path(cast.sam),
        {"features": ["outbound_campaigns"]},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "dependencies_required"
    assert "Voice sites (IVR)" in body["detail"]
    assert enabled(cast.sam) == set()


def test_the_api_cannot_enable_what_the_partner_may_not_grant(cast, api_client_for):
    narrow(cast.acme, "sms")
    response = api_client_for(cast.acme).put(
        path(cast.sam), {"features": ["web_chat"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_entitled"
    assert enabled(cast.sam) == set()


def test_apply_a_plan_and_read_readiness(cast, api_client_for):
    plan = make_plan(cast.alice, "Voice", "voice_sites")
    api = api_client_for(cast.acme)
    response = api.post(
        path(cast.sam, "/plan"), {"plan_id": plan.pk}, content_type="application/json"
    )
    assert response.json()["plan"] == "Voice"
    body = api.get(path(cast.sam, "/readiness")).json()
    assert body["ready"] is False
    assert [s["done"] for s in body["steps"]] == [True, False, False, True]


def test_bulk_previews_then_applies(cast, api_client_for):
    api = api_client_for(cast.acme)
    data = {"subscriber_ids": [cast.sam.public_id], "enable": ["sms"]}
    preview = api.post("/api/v1/features/bulk", data, content_type="application/json")
    assert preview.json()["items"][0]["after"]["features"] == ["sms"]
    assert enabled(cast.sam) == set()
    api.post(
        "/api/v1/features/bulk",
        {**data, "preview": False},
        content_type="application/json",
    )
    assert enabled(cast.sam) == {"sms"}


def test_a_read_only_key_cannot_change_features(cast, api_client_for):
    response = api_client_for(cast.acme, role=Role.AUDITOR).put(
        path(cast.sam), {"features": ["sms"]}, content_type="application/json"
    )
    assert response.status_code == 403
    assert enabled(cast.sam) == set()


def test_globex_gets_404_for_acmes_subscriber_everywhere(cast, api_client_for):
    give(cast.sam, "sms", by=cast.bob)
    api = api_client_for(cast.globex)
    for response in [
        api.get(path(cast.sam)),
        api.get(path(cast.sam, "/readiness")),
        api.put(path(cast.sam), {"features": []}, content_type="application/json"),
    ]:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert enabled(cast.sam) == {"sms"}
    plan = make_plan(cast.alice, "Acme only", "sms")
    assert api.get("/api/v1/features/plans").json()["items"] == []
    response = api.post(
        path(cast.gus, "/plan"), {"plan_id": plan.pk}, content_type="application/json"
    )
    assert response.status_code == 404
