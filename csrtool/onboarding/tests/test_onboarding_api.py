"""The API doors: resend the welcome email, list a subscriber's emails."""

from csrtool.audit.models import AuditEvent
from csrtool.onboarding.models import EmailLink, OutboundEmail
from csrtool.partners.models import Role
from csrtool.subscribers.models import Status

# A POST with no body at all (the operation's body is optional).
NO_BODY = {"content_type": "application/json"}


def test_resending_over_the_api_queues_a_new_email_and_revokes_old_links(
    cast, api_client_for, sam_token
):
    api = api_client_for(cast.acme)
    response = api.post(
        f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email", **NO_BODY
    )
    assert response.status_code == 202
    body = response.json()
    assert body["kind"] == "welcome"
    assert body["status"] == "queued"
    assert body["recipient"] == "sam@customer.example"
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 2
    assert EmailLink.objects.filter(subscriber=cast.sam, revoked_at=None).count() == 1
    event = AuditEvent.objects.filter(action="onboarding.welcome_email_queued").latest(
        "id"
    )
    assert event.channel == "api"


def test_listing_emails_over_the_api_pages_newest_first(
    cast, api_client_for, sam_token
):
    api = api_client_for(cast.acme)
    for _ in range(2):
        api.post(f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email", **NO_BODY)
    first = api.get(f"/api/v1/subscribers/{cast.sam.public_id}/emails?limit=2").json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = api.get(
        f"/api/v1/subscribers/{cast.sam.public_id}/emails"
        f"?limit=2&cursor={first['next_cursor']}"
    ).json()
    ids = [e["id"] for e in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 3
    assert rest["next_cursor"] is None


def test_another_partners_subscriber_is_not_found_over_the_api(
    cast, api_client_for, sam_token
):
    api = api_client_for(cast.globex)
    for response in (
        api.post(f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email", **NO_BODY),
        api.get(f"/api/v1/subscribers/{cast.sam.public_id}/emails"),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    unknown = api.get("/api/v1/subscribers/no-such-id/emails")
    assert unknown.json()["detail"].replace("no-such-id", "X") == response.json()[
        "detail"
    ].replace(cast.sam.public_id, "X")
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 1


def test_an_active_account_gets_no_welcome_email_over_the_api(cast, api_client_for):
    cast.sam.status = Status.ACTIVE
    cast.sam.save()
    response = api_client_for(cast.acme).post(
        f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email", **NO_BODY
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_pending_activation"


def test_a_read_only_key_cannot_resend(cast, api_client_for):
    api = api_client_for(cast.acme, role=Role.AUDITOR)
    response = api.post(
        f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email", **NO_BODY
    )
    assert response.status_code == 403
    assert (
        api.get(f"/api/v1/subscribers/{cast.sam.public_id}/emails").status_code == 200
    )
