"""Administration › Webhooks: partner admins register endpoints and read their logs."""

import re

from csrtool.conftest import run_jobs
from csrtool.partners.access import staff_actor
from csrtool.subscribers.services import update_subscriber
from csrtool.webhooks import services
from csrtool.webhooks.models import WebhookEndpoint
from csrtool.webhooks.tests.receiver import verify


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(cast, client_for, receiver):
    alice = client_for(cast.alice)
    page = alice.post(
        "/settings/webhooks/",
        {
            "url": receiver.url,
            "description": "CRM",
            "event_types": ["subscriber.updated"],
        },
    )
    assert page.status_code == 200
    text = page.content.decode()
    secret = re.search(r'id="new-webhook-secret">(whsec_[^<]+)<', text).group(1)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["subscriber.updated"]
    assert secret not in alice.get("/settings/webhooks/").content.decode()

    update_subscriber(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id="P-1"
    )
    run_jobs()
    verify(secret, *receiver.requests[0])
    log = alice.get(f"/settings/webhooks/{endpoint.public_id}/").content.decode()
    assert "subscriber.updated" in log and "HTTP 200" in log
    assert secret not in log


def test_an_unsafe_url_is_refused_on_the_page(cast, client_for):
    page = client_for(cast.alice).post(
        "/settings/webhooks/", {"url": "https://169.254.169.254/"}
    )
    assert "not on the public internet" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotate_switch_off_and_send_again_from_the_page(cast, client_for, receiver):
    endpoint, _ = services.create_endpoint(
        actor=staff_actor(cast.alice), url=receiver.url
    )
    alice = client_for(cast.alice)
    base = f"/settings/webhooks/{endpoint.public_id}/"
    rotated = alice.post(base + "rotate/").content.decode()
    new = re.search(r'id="new-webhook-secret">(whsec_[^<]+)<', rotated).group(1)
    endpoint.refresh_from_db()
    assert endpoint.secret == new and endpoint.previous_secret

    update_subscriber(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id="P-2"
    )
    run_jobs()
    event_id = receiver.ids()[0]
    alice.post(base + "send-again/", {"event_id": event_id})
    run_jobs()
    assert receiver.ids() == [event_id, event_id]

    alice.post(base, {"url": receiver.url, "description": "", "enabled": ""})
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled
    alice.post(base + "delete/")
    assert not WebhookEndpoint.objects.exists()


def test_only_the_partners_admins_reach_its_endpoints(cast, client_for):
    endpoint, _ = services.create_endpoint(
        actor=staff_actor(cast.alice), url="https://hooks.example.com/acme"
    )
    base = f"/settings/webhooks/{endpoint.public_id}/"
    assert client_for(cast.bob).get("/settings/webhooks/").status_code == 404
    gina = client_for(cast.gina)
    assert "hooks.example.com" not in gina.get("/settings/webhooks/").content.decode()
    assert gina.get(base).status_code == 404
    for action in ("rotate/", "send-again/", "delete/"):
        assert gina.post(base + action, {"event_id": "x"}).status_code == 404
    assert gina.post(base, {"url": "https://evil.example.com/"}).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/acme"
    # The operator sees every partner's endpoints.
    olivia = client_for(cast.olivia).get("/settings/webhooks/").content.decode()
    assert "hooks.example.com/acme" in olivia
