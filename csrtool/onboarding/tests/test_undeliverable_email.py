"""A welcome email the mail server refuses for good fails at once, the CSR sees
why on the subscriber page and the dashboard, and corrects the address and
resends in one action, through the page, the API and the command line."""

import json

import pytest
from django.core.management import call_command

from csrtool.audit.models import AuditEvent
from csrtool.conftest import make_subscriber, run_jobs
from csrtool.errors import Conflict
from csrtool.onboarding import services
from csrtool.onboarding.models import EmailLink, EmailStatus, OutboundEmail
from csrtool.subscribers.models import Status, Subscriber
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID

TYPO = "sam@custmer.example"


@pytest.fixture
def bounced(cast, actor_of, smtpd):
    """Sam's welcome email went to a mistyped address its server does not know."""
    Subscriber.objects.filter(pk=cast.sam.pk).update(email=TYPO, email_canonical=TYPO)
    cast.sam.refresh_from_db()
    smtpd.refuse_rcpt[TYPO] = "550 5.1.1 <sam@custmer.example>: no such user"
    services.send_welcome(actor=actor_of(cast.bob), subscriber=cast.sam)
    run_jobs()
    return OutboundEmail.objects.get(subscriber=cast.sam)


def test_an_address_refused_for_good_at_rcpt_fails_at_once(bounced, smtpd):
    assert bounced.status == EmailStatus.FAILED
    assert bounced.attempts == 1
    assert "550 5.1.1" in bounced.last_error
    assert smtpd.messages == []


def test_a_temporary_refusal_at_rcpt_is_tried_again_later(cast, actor_of, smtpd):
    smtpd.refuse_rcpt["sam@customer.example"] = "450 4.2.1 Mailbox busy, try later"
    services.send_welcome(actor=actor_of(cast.bob), subscriber=cast.sam)
    run_jobs()
    email = OutboundEmail.objects.get(subscriber=cast.sam)
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert "450 4.2.1" in email.last_error


def test_the_subscriber_page_says_the_welcome_email_failed_and_why(
    cast, bounced, client_for
):
    html = client_for(cast.bob).get(f"/subscribers/{cast.sam.public_id}/").content
    html = html.decode()
    assert "<strong>Welcome email failed:</strong> The mail server refused the " in html
    assert "550 5.1.1" in html
    assert f'value="{TYPO}"' in html, "the address to correct is filled in"


def test_correcting_the_address_and_resending_is_one_action(
    cast, bounced, client_for, smtpd
):
    old_link = EmailLink.objects.get(subscriber=cast.sam)
    client = client_for(cast.bob)
    response = client.post(
        f"/subscribers/{cast.sam.public_id}/welcome-email/",
        {"email": "sam@customer.example"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "A new welcome email is on its way to sam@customer.example" in page
    cast.sam.refresh_from_db()
    assert (cast.sam.email, cast.sam.email_canonical) == (
        "sam@customer.example",
        "sam@customer.example",
    )
    old_link.refresh_from_db()
    assert old_link.revoked_at is not None
    run_jobs()
    assert [m["To"] for m in smtpd.messages] == ["sam@customer.example"]
    corrected = AuditEvent.objects.get(
        action="subscriber.updated", target_id=cast.sam.public_id
    )
    assert corrected.before == {"email": TYPO}
    assert corrected.after == {"email": "sam@customer.example"}
    assert corrected.actor_user == cast.bob
    assert (
        "Welcome email failed" not in client.get(response["Location"]).content.decode()
    )


def test_an_address_of_another_account_is_refused_and_nothing_is_sent(
    cast, bounced, client_for, actor_of
):
    make_subscriber(cast.acme, email="taken@customer.example")
    response = client_for(cast.bob).post(
        f"/subscribers/{cast.sam.public_id}/welcome-email/",
        {"email": "taken@customer.example"},
        follow=True,
    )
    assert "already" in response.content.decode()
    cast.sam.refresh_from_db()
    assert cast.sam.email == TYPO
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 1
    assert EmailLink.objects.filter(subscriber=cast.sam, revoked_at=None).count() == 1


def test_an_active_subscribers_login_email_is_not_corrected_here(cast, actor_of):
    Subscriber.objects.filter(pk=cast.sam.pk).update(status=Status.ACTIVE)
    with pytest.raises(Conflict):
        services.resend_welcome(
            actor=actor_of(cast.bob),
            public_id=cast.sam.public_id,
            email="other@customer.example",
        )
    assert Subscriber.objects.get(pk=cast.sam.pk).email == "sam@customer.example"


def test_the_api_corrects_and_resends_in_one_call(cast, bounced, api_client_for):
    api = api_client_for(cast.acme)
    response = api.post(
        f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email",
        {"email": "sam@customer.example"},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["recipient"] == "sam@customer.example"
    assert Subscriber.objects.get(pk=cast.sam.pk).email == "sam@customer.example"
    foreign = api.post(
        f"/api/v1/subscribers/{cast.gus.public_id}/welcome-email",
        {"email": "gus@customer.example"},
        content_type="application/json",
    )
    unknown = api.post(
        f"/api/v1/subscribers/{UNKNOWN_SUBSCRIBER_ID}/welcome-email",
        {"email": "gus@customer.example"},
        content_type="application/json",
    )
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["detail"].replace(
        cast.gus.public_id, "<id>"
    ) == unknown.json()["detail"].replace(UNKNOWN_SUBSCRIBER_ID, "<id>")
    assert Subscriber.objects.get(pk=cast.gus.pk).email != "gus@customer.example"


def test_the_command_line_corrects_and_resends(cast, bounced, capsys):
    call_command(
        "onboarding",
        "resend",
        "--subscriber",
        cast.sam.public_id,
        "--email",
        "sam@customer.example",
        "--as",
        "bob@acme.example",
        "--json",
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["recipient"] == "sam@customer.example"
    assert Subscriber.objects.get(pk=cast.sam.pk).email == "sam@customer.example"


def test_the_dashboard_counts_a_failed_welcome_email_at_once(cast, bounced, client_for):
    page = client_for(cast.bob).get("/").content.decode()
    assert "1 welcome email failed" in page
    assert "Welcome email failed</a>" in page
    assert cast.sam.full_name in page


def test_a_welcome_email_sent_again_is_no_longer_counted_as_failed(
    cast, bounced, client_for, actor_of
):
    services.send_welcome(actor=actor_of(cast.bob), subscriber=cast.sam)

    page = client_for(cast.bob).get("/").content.decode()

    assert "welcome-failed-count" not in page
    stuck = page[page.index('id="stuck-heading"') : page.index("Recently added")]
    assert "No subscriber is stuck." in stuck


@pytest.mark.parametrize("body", ["4.8e16", "[1]", '"sam@customer.example"', "null"])
def test_a_body_that_is_not_an_object_is_refused(cast, api_client_for, body):
    response = api_client_for(cast.acme).post(
        f"/api/v1/subscribers/{cast.sam.public_id}/welcome-email",
        body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_body"
    assert not OutboundEmail.objects.filter(subscriber=cast.sam).exists()
