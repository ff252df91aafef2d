"""Registering endpoints: safe URLs only, and only a partner's own, at every door."""

import pytest

from csrtool.conftest import run_jobs
from csrtool.partners.access import staff_actor
from csrtool.partners.models import Role
from csrtool.subscribers.services import update_subscriber
from csrtool.webhooks import services
from csrtool.webhooks.models import WebhookDelivery, WebhookEndpoint

JSON = "application/json"


def post(api, path, data=None):
    return api.post(path, data or {}, content_type=JSON)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",
        "https://127.0.0.1/in",
        "https://10.1.2.3/in",
        "https://192.168.0.7/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://[::ffff:127.0.0.1]/in",
        "https://user:pw@hooks.example.com/in",
        "ftp://hooks.example.com/in",
    ],
)
def test_an_unsafe_url_is_refused(cast, api_client_for, url):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    answer = post(api, "/api/v1/webhooks/endpoints", {"url": url})
    assert answer.status_code == 400, answer.json()
    assert answer.json()["errors"][0]["field"] == "url"
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_url_is_accepted(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    answer = post(
        api,
        "/api/v1/webhooks/endpoints",
        {"url": "https://hooks.example.com/in", "event_types": ["number.assigned"]},
    )
    assert answer.status_code == 201
    assert answer.json()["event_types"] == ["number.assigned"]
    unknown = post(
        api,
        "/api/v1/webhooks/endpoints",
        {"url": "https://hooks.example.com/in", "event_types": ["number.stolen"]},
    )
    assert unknown.status_code == 400


def test_a_name_that_resolves_to_loopback_is_not_called_at_delivery(
    cast, receiver, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint, _ = services.create_endpoint(
        actor=staff_actor(cast.alice), url=f"https://localhost:{port}/hooks"
    )
    update_subscriber(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id="X"
    )
    run_jobs()
    assert receiver.requests == []
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert "not public" in attempt.error


def test_csrs_and_auditors_cannot_manage_endpoints(cast, api_client_for):
    for role in (Role.CSR, Role.AUDITOR):
        api = api_client_for(cast.acme, role)
        answer = post(
            api, "/api/v1/webhooks/endpoints", {"url": "https://hooks.example.com/"}
        )
        assert answer.status_code == 403
        assert api.get("/api/v1/webhooks/endpoints").status_code == 403


def test_another_partners_endpoint_answers_like_a_missing_one(cast, api_client_for):
    endpoint, _ = services.create_endpoint(
        actor=staff_actor(cast.alice), url="https://hooks.example.com/acme"
    )
    globex = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    assert globex.get("/api/v1/webhooks/endpoints").json() == []
    base = f"/api/v1/webhooks/endpoints/{endpoint.public_id}"
    missing = "/api/v1/webhooks/endpoints/ep_nobody"
    for path in (base, missing):
        assert globex.get(path).status_code == 404
        assert globex.get(f"{path}/deliveries").status_code == 404
        assert (
            globex.patch(path, {"enabled": False}, content_type=JSON).status_code == 404
        )
        assert post(globex, f"{path}/rotate-secret").status_code == 404
        assert (
            post(globex, f"{path}/send-again", {"event_id": "evt_x"}).status_code == 404
        )
        assert globex.delete(path).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.is_enabled


def test_events_reach_only_their_own_partners_endpoints(cast, receiver):
    services.create_endpoint(actor=staff_actor(cast.alice), url=receiver.url)
    update_subscriber(
        actor=staff_actor(cast.charlie), public_id=cast.gus.public_id, billing_id="G"
    )
    run_jobs()
    assert receiver.requests == []


def test_send_again_refuses_another_partners_event(cast, receiver):
    from csrtool.events.models import Event

    endpoint, _ = services.create_endpoint(
        actor=staff_actor(cast.alice), url=receiver.url
    )
    update_subscriber(
        actor=staff_actor(cast.charlie), public_id=cast.gus.public_id, billing_id="G"
    )
    run_jobs()
    theirs = Event.objects.get()
    from csrtool.errors import NotFound

    with pytest.raises(NotFound):
        services.send_again(
            actor=staff_actor(cast.alice),
            endpoint_id=endpoint.public_id,
            event_id=theirs.public_id,
        )


def test_changes_are_audited_without_the_secret(cast, api_client_for):
    from csrtool.audit.models import AuditEvent

    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    created = post(
        api, "/api/v1/webhooks/endpoints", {"url": "https://hooks.example.com/a"}
    ).json()
    rotated = post(api, f"/api/v1/webhooks/endpoints/{created['id']}/rotate-secret")
    assert rotated.json()["secret"] != created["secret"]
    api.patch(
        f"/api/v1/webhooks/endpoints/{created['id']}",
        {"description": "CRM"},
        content_type=JSON,
    )
    api.delete(f"/api/v1/webhooks/endpoints/{created['id']}")
    rows = AuditEvent.objects.filter(action__startswith="webhook_endpoint.")
    assert list(rows.order_by("id").values_list("action", flat=True)) == [
        "webhook_endpoint.created",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.updated",
        "webhook_endpoint.deleted",
    ]
    text = str(list(rows.values("before", "after")))
    assert created["secret"] not in text and rotated.json()["secret"] not in text
