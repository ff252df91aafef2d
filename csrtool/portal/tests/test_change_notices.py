"""A changed PIN or security question is announced to the subscriber by email."""

from datetime import UTC, datetime

import pytest

from csrtool.conftest import run_jobs
from csrtool.errors import ValidationFailed
from csrtool.onboarding.models import EmailKind, OutboundEmail, SubscriberCredentials
from csrtool.portal import auth, services
from csrtool.portal.tests.conftest import SAM_ANSWER, SAM_PASSWORD, SAM_PIN

pytestmark = pytest.mark.django_db

NEW_PIN = "740261"
NEW_ANSWER = "Lisbon"
NEW_QUESTION = "Which city was my grandmother born in?"
MOMENT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)


def change_pin(subscriber, *, pin=NEW_PIN, password=SAM_PASSWORD, now=None):
    return services.change_pin(
        actor=auth.subscriber_actor(subscriber),
        subscriber=subscriber,
        current_password=password,
        new_pin=pin,
        now=now,
    )


def change_question(subscriber, *, password=SAM_PASSWORD):
    return services.change_security_question(
        actor=auth.subscriber_actor(subscriber),
        subscriber=subscriber,
        current_password=password,
        question="own",
        own_question=NEW_QUESTION,
        answer=NEW_ANSWER,
    )


def credentials_of(subscriber):
    return SubscriberCredentials.objects.get(subscriber=subscriber)


def text_and_html(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def brand(partner):
    partner.product_name = "Acme Voice Studio"
    partner.sender_name = "Acme Care"
    partner.sender_email = "care@acme.example"
    partner.support_phone = "+1 800 555 0199"
    partner.save()


def test_a_pin_change_is_announced_by_email(sam, smtpd):
    brand(sam.partner)
    change_pin(sam, now=MOMENT)
    run_jobs()
    [message] = smtpd.to(sam.email)
    assert message["Subject"] == "Your Acme Voice Studio PIN was changed"
    assert "Acme Care" in message["From"] and "care@acme.example" in message["From"]
    text, html = text_and_html(message)
    for body in (text, html):
        assert "The PIN of your Acme Voice Studio account" in body
        assert sam.local_datetime(MOMENT) in body
        assert "America/New_York time" in body
        assert "+1 800 555 0199" in body
        assert NEW_PIN not in body and SAM_PIN not in body
    assert OutboundEmail.objects.get().kind == EmailKind.PIN_CHANGED
    assert credentials_of(sam).pin_changed_at == MOMENT


def test_a_security_question_change_is_announced_by_email(sam, smtpd):
    brand(sam.partner)
    change_question(sam)
    run_jobs()
    [message] = smtpd.to(sam.email)
    assert message["Subject"] == (
        "Your Acme Voice Studio security question was changed"
    )
    text, html = text_and_html(message)
    for body in (text, html):
        assert "security question and answer of your Acme Voice Studio" in body
        # Neither the answer nor the question (a hint to the answer) is sent.
        assert NEW_ANSWER not in body and SAM_ANSWER not in body
        assert NEW_QUESTION not in body
    assert OutboundEmail.objects.get().kind == EmailKind.QUESTION_CHANGED


def test_the_notice_goes_to_the_account_only(sam, gus, smtpd):
    change_pin(sam)
    run_jobs()
    assert [m["To"] for m in smtpd.messages] == [sam.email]
    assert smtpd.to(gus.email) == []


def test_a_refused_change_sends_no_notice(sam, smtpd):
    with pytest.raises(ValidationFailed):
        change_pin(sam, password="not my password")
    with pytest.raises(ValidationFailed):
        change_pin(sam, pin="111111")
    with pytest.raises(ValidationFailed):
        change_question(sam, password="not my password")
    run_jobs()
    assert smtpd.messages == []
    assert not OutboundEmail.objects.exists()


def test_the_notices_show_in_the_csrs_list_of_emails(sam, cast, smtpd, client_for):
    change_pin(sam)
    change_question(sam)
    run_jobs()
    page = client_for(cast.bob).get(f"/subscribers/{sam.public_id}/").content.decode()
    assert "PIN changed" in page and "Security question changed" in page
    outsider = client_for(cast.charlie).get(f"/subscribers/{sam.public_id}/")
    assert outsider.status_code == 404


def test_changes_from_the_settings_page_send_their_notices(sam, sam_client, smtpd):
    sam_client.post(
        "/portal/settings/",
        {
            "form": "pin",
            "pin-current_password": SAM_PASSWORD,
            "pin-new_pin": NEW_PIN,
            "pin-new_pin_again": NEW_PIN,
        },
    )
    sam_client.post(
        "/portal/settings/",
        {
            "form": "security_question",
            "sq-current_password": SAM_PASSWORD,
            "sq-question": "first-pet",
            "sq-own_question": "",
            "sq-answer": "Rex the cat",
        },
    )
    run_jobs()
    subjects = sorted(m["Subject"] for m in smtpd.to(sam.email))
    assert subjects == [
        "Your CX Builder PIN was changed",
        "Your CX Builder security question was changed",
    ]


def test_a_password_change_is_announced_under_its_own_name(
    sam, cast, smtpd, client_for
):
    services.change_password(
        actor=auth.subscriber_actor(sam),
        subscriber=sam,
        current_password=SAM_PASSWORD,
        new_password="an entirely new passphrase",
    )
    run_jobs()
    [message] = smtpd.messages
    assert message["Subject"].endswith("password was changed")
    assert "Reset my password" not in message.as_string()
    email = OutboundEmail.objects.get(subscriber=sam)
    assert email.kind == EmailKind.PASSWORD_CHANGED
    page = client_for(cast.bob).get(f"/subscribers/{sam.public_id}/").content.decode()
    assert "Password changed" in page
