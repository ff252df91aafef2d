"""The CSR sees each email's state and can resend the welcome email."""

import json

import pytest
from django.core.management import call_command

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.errors import Conflict, NotFound, PermissionDenied
from csrtool.onboarding import services
from csrtool.onboarding.models import EmailLink, EmailStatus, OutboundEmail
from csrtool.subscribers.models import Status
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID, assert_cli_answers_alike


def detail(client, subscriber):
    return client.get(f"/subscribers/{subscriber.public_id}/")


def test_the_subscriber_page_shows_each_emails_state(
    cast, client_for, actor_of, smtpd, settings, sam_token
):
    run_jobs()
    settings.EMAIL_MAX_ATTEMPTS = 1
    smtpd.refuse_with = "554 5.7.1 Relay access denied"
    services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    run_jobs()
    smtpd.stop()
    settings.EMAIL_MAX_ATTEMPTS = 5
    services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    run_jobs()

    html = detail(client_for(cast.bob), cast.sam).content.decode()
    assert "Sent" in html
    assert (
        "Failed</span>: The mail server answered 554 5.7.1 Relay access denied." in html
    )
    assert "Queued</span> — last try: The mail server refused the connection" in html
    assert "Resend welcome email" in html


def test_a_csr_resends_the_welcome_email_from_the_subscriber_page(
    cast, client_for, sam_token
):
    client = client_for(cast.bob)
    response = client.post(f"/subscribers/{cast.sam.public_id}/welcome-email/")
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 2
    assert EmailLink.objects.filter(subscriber=cast.sam, revoked_at=None).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "A new welcome email is on its way to sam@customer.example" in page
    event = AuditEvent.objects.filter(action="onboarding.welcome_email_queued").latest(
        "id"
    )
    assert event.actor_user == cast.bob
    assert event.reason == "Resent by staff"
    assert event.after["older_links_revoked"] == 1


def test_an_auditor_sees_the_emails_but_cannot_resend(
    cast, client_for, actor_of, sam_token
):
    client = client_for(cast.avery)
    html = detail(client, cast.sam).content.decode()
    assert "Welcome" in html
    assert "Resend welcome email" not in html
    response = client.post(f"/subscribers/{cast.sam.public_id}/welcome-email/")
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        services.resend_welcome(
            actor=actor_of(cast.avery), public_id=cast.sam.public_id
        )
    assert OutboundEmail.objects.filter(subscriber=cast.sam).count() == 1


def test_another_partners_subscriber_looks_unknown(cast, client_for, actor_of):
    response = client_for(cast.charlie).post(
        f"/subscribers/{cast.sam.public_id}/welcome-email/"
    )
    assert response.status_code == 404
    with pytest.raises(NotFound):
        services.resend_welcome(
            actor=actor_of(cast.charlie), public_id=cast.sam.public_id
        )
    with pytest.raises(NotFound):
        services.email_history(
            actor=actor_of(cast.charlie), public_id=cast.sam.public_id
        )
    assert not OutboundEmail.objects.filter(subscriber=cast.sam).exists()


def test_the_welcome_email_is_only_resent_while_pending_activation(
    cast, client_for, actor_of
):
    cast.sam.status = Status.ACTIVE
    cast.sam.save()
    with pytest.raises(Conflict, match="pending activation"):
        services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    html = detail(client_for(cast.bob), cast.sam).content.decode()
    assert "Resend welcome email" not in html


def test_the_subscriber_page_stays_within_a_few_queries(
    cast, client_for, actor_of, django_assert_max_num_queries
):
    for _ in range(5):
        services.resend_welcome(actor=actor_of(cast.bob), public_id=cast.sam.public_id)
    client = client_for(cast.bob)
    detail(client, cast.sam)
    with django_assert_max_num_queries(25):
        response = detail(client, cast.sam)
    assert response.content.decode().count("email-queued") == 5


def test_the_cli_resends_and_lists_emails(cast, capsys):
    call_command(
        "onboarding",
        "resend",
        "--subscriber",
        cast.sam.public_id,
        "--as",
        "bob@acme.example",
    )
    assert "Welcome email queued for sam@customer.example" in capsys.readouterr().out
    call_command("onboarding", "emails", "--subscriber", cast.sam.public_id, "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [(e["kind"], e["status"], e["recipient"]) for e in listed] == [
        ("welcome", EmailStatus.QUEUED, "sam@customer.example")
    ]


def test_the_cli_keeps_partners_apart(cast):
    answer = assert_cli_answers_alike(
        ("onboarding", "resend", "--subscriber", "{}", "--as", cast.charlie.email),
        foreign=cast.sam.public_id,
        unknown=UNKNOWN_SUBSCRIBER_ID,
    )
    assert answer["console_script"][2] == (
        "csrtool onboarding: No subscriber has the Subscriber ID '<id>'.\n"
    )
    assert not OutboundEmail.objects.filter(subscriber=cast.sam).exists()


def test_the_command_line_lists_emails_as_the_api_does(
    cast, sam_token, api_client_for, capsys
):
    call_command("onboarding", "emails", "--subscriber", cast.sam.public_id, "--json")
    listed = json.loads(capsys.readouterr().out)
    api = api_client_for(cast.acme).get(
        f"/api/v1/subscribers/{cast.sam.public_id}/emails"
    )
    assert listed == api.json()["items"]
    assert listed[0]["created_at"].endswith("Z")
