from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from csrtool.audit.models import AuditEvent
from csrtool.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from csrtool.onboarding import hashing, verify
from csrtool.portal.tests.conftest import (
    SAM_ANSWER,
    SAM_PIN,
    activate,
    deliver_all,
    link_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(cast):
    activate(cast.sam)
    cast.sam.refresh_from_db()
    return cast.sam


def check(actor, subscriber, value, method="pin", now=None):
    return verify.verify_caller(
        actor=actor, public_id=subscriber.public_id, method=method, value=value, now=now
    )


def verifications():
    return AuditEvent.objects.filter(action="subscriber.caller_verification")


def test_the_right_pin_is_a_match(sam, cast, actor_of):
    result = check(actor_of(cast.bob), sam, SAM_PIN)
    assert result.outcome == "match" and result.tries_left == 4
    event = verifications().get()
    assert event.outcome == "match" and event.actor_user == cast.bob
    assert event.after == {"method": "pin"}


def test_a_wrong_pin_is_no_match(sam, cast, actor_of):
    assert check(actor_of(cast.bob), sam, "990011").outcome == "no_match"
    assert verifications().get().outcome == "no_match"


def test_the_security_answer_matches_however_it_is_typed(sam, cast, actor_of):
    result = check(actor_of(cast.bob), sam, "  BISCUIT the   dog", method="answer")
    assert result.outcome == "match"
    assert check(actor_of(cast.bob), sam, "Rex", method="answer").outcome == "no_match"


def test_the_sixth_try_in_an_hour_is_refused_without_checking(sam, cast, actor_of):
    bob = actor_of(cast.bob)
    start = timezone.now()
    outcomes = [check(bob, sam, "990011", now=start).outcome for _ in range(5)]
    assert outcomes == ["no_match"] * 5
    with mock.patch.object(hashing, "verify_secret") as verify_secret:
        refused = check(bob, sam, SAM_PIN, now=start + timedelta(minutes=59))
    assert refused.outcome == "refused" and refused.retry_at is not None
    verify_secret.assert_not_called()
    assert [e.outcome for e in verifications().order_by("id")] == ["no_match"] * 5 + [
        "refused"
    ]
    later = check(bob, sam, SAM_PIN, now=start + timedelta(minutes=61))
    assert later.outcome == "match"


def test_the_limit_is_per_subscriber_not_per_csr(sam, cast, actor_of):
    for user in (cast.bob, cast.alice, cast.bob, cast.alice, cast.bob):
        check(actor_of(user), sam, "990011")
    assert check(actor_of(cast.alice), sam, SAM_PIN).outcome == "refused"


def test_nothing_typed_is_not_a_try(sam, cast, actor_of):
    with pytest.raises(ValidationFailed):
        check(actor_of(cast.bob), sam, "   ")
    assert not verifications().exists()


def test_no_secret_reaches_the_audit_log(sam, cast, actor_of):
    check(actor_of(cast.bob), sam, SAM_PIN)
    check(actor_of(cast.bob), sam, SAM_ANSWER, method="answer")
    check(actor_of(cast.bob), sam, "wrong guess", method="answer")
    for event in AuditEvent.objects.all():
        text = f"{event.before} {event.after} {event.reason}"
        for secret in (SAM_PIN, SAM_ANSWER, "wrong guess"):
            assert secret not in text


def test_a_subscriber_without_credentials_cannot_be_verified(cast, actor_of):
    with pytest.raises(Conflict, match="not set a PIN"):
        check(actor_of(cast.bob), cast.sam, SAM_PIN)


def test_another_partners_csr_cannot_verify_acmes_caller(sam, cast, actor_of):
    with pytest.raises(NotFound):
        check(actor_of(cast.charlie), sam, SAM_PIN)
    assert not verifications().exists()


def test_an_auditor_cannot_verify_callers(sam, cast, actor_of):
    with pytest.raises(PermissionDenied):
        check(actor_of(cast.avery), sam, SAM_PIN)


def test_the_csr_verifies_from_the_subscriber_page(sam, cast, client_for):
    bob = client_for(cast.bob)
    page = bob.get(f"/subscribers/{sam.public_id}/").content.decode()
    assert "Verify caller" in page and "Send password-reset email" in page
    response = bob.post(
        f"/subscribers/{sam.public_id}/verify-caller/",
        {"method": "pin", "value": SAM_PIN},
    )
    text = response.content.decode()
    assert "<strong>Match.</strong>" in text
    assert "4 tries left this hour." in text
    assert SAM_PIN not in text
    assert "What was the name of your first pet?" in text
    wrong = bob.post(
        f"/subscribers/{sam.public_id}/verify-caller/",
        {"method": "answer", "value": "Rex"},
    ).content.decode()
    assert "<strong>No match.</strong>" in wrong and "Rex" not in wrong
    assert SAM_ANSWER not in wrong


def test_the_verify_page_of_another_partners_subscriber_is_not_found(
    sam, cast, client_for
):
    charlie = client_for(cast.charlie)
    url = f"/subscribers/{sam.public_id}/verify-caller/"
    assert charlie.get(url).status_code == 404
    assert charlie.post(url, {"method": "pin", "value": SAM_PIN}).status_code == 404
    assert client_for(cast.avery).get(url).status_code == 404
    assert not verifications().exists()


def test_the_csr_sends_a_password_reset_email(sam, cast, client_for):
    bob = client_for(cast.bob)
    response = bob.post(f"/subscribers/{sam.public_id}/password-reset/", follow=True)
    assert "A password-reset link is on its way to sam@customer.example" in (
        response.content.decode()
    )
    [message] = deliver_all()
    assert message.to == [sam.email]
    assert link_in(message).startswith("/portal/reset/")
    event = AuditEvent.objects.get(action="portal.password_reset_email_queued")
    assert event.actor_user == cast.bob and event.reason == "Sent by staff"


def test_the_reset_email_is_refused_for_an_account_not_yet_active(cast, client_for):
    bob = client_for(cast.bob)
    response = bob.post(
        f"/subscribers/{cast.sam.public_id}/password-reset/", follow=True
    )
    assert "Resend the welcome email instead." in response.content.decode()
    assert deliver_all() == []


def test_other_partners_and_auditors_cannot_send_a_reset(sam, cast, client_for):
    url = f"/subscribers/{sam.public_id}/password-reset/"
    assert client_for(cast.charlie).post(url).status_code == 404
    assert client_for(cast.avery).post(url).status_code == 404
    assert deliver_all() == []


def verify_over_api(api, subscriber, value, method="pin"):
    return api.post(
        f"/api/v1/subscribers/{subscriber.public_id}/verify-caller",
        {"method": method, "value": value},
        content_type="application/json",
    )


def test_the_api_answers_match_or_no_match(sam, cast, api_client_for):
    api = api_client_for(cast.acme)
    match = verify_over_api(api, sam, SAM_PIN)
    assert match.status_code == 200
    assert match.json() == {"outcome": "match", "method": "pin", "tries_left": 4}
    wrong = verify_over_api(api, sam, "Rex", method="answer")
    assert wrong.json()["outcome"] == "no_match"
    assert SAM_ANSWER not in wrong.content.decode()
    assert verifications().filter(channel="api").count() == 2


def test_the_api_refuses_the_sixth_try_with_429(sam, cast, api_client_for):
    api = api_client_for(cast.acme)
    for _ in range(5):
        verify_over_api(api, sam, "990011")
    refused = verify_over_api(api, sam, SAM_PIN)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert verifications().filter(outcome="refused").count() == 1


def test_the_api_of_another_partner_finds_no_such_subscriber(sam, cast, api_client_for):
    api = api_client_for(cast.globex)
    assert verify_over_api(api, sam, SAM_PIN).status_code == 404
    reset = api.post(f"/api/v1/subscribers/{sam.public_id}/password-reset-email")
    assert reset.status_code == 404
    assert not verifications().exists()
    assert deliver_all() == []


def test_the_api_sends_a_password_reset_email(sam, cast, api_client_for):
    api = api_client_for(cast.acme)
    response = api.post(f"/api/v1/subscribers/{sam.public_id}/password-reset-email")
    assert response.status_code == 202
    assert response.json()["recipient"] == sam.email
    assert response.json()["kind"] == "password_reset"
    [message] = deliver_all()
    assert link_in(message).startswith("/portal/reset/")
    assert link_in(message) not in response.content.decode()


def test_the_api_refuses_a_reset_for_an_account_not_yet_active(cast, api_client_for):
    api = api_client_for(cast.acme)
    response = api.post(
        f"/api/v1/subscribers/{cast.sam.public_id}/password-reset-email"
    )
    assert response.status_code == 409
