"""Creating a subscriber delivers one welcome email, durably, over real SMTP."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.errors import ValidationFailed
from csrtool.onboarding import delivery, links
from csrtool.onboarding.models import EmailLink, EmailStatus, OutboundEmail
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import create_subscriber


def create_ann(actor, **fields):
    values = {
        "first_name": "Ann",
        "last_name": "Archer",
        "email": "ann@customer.example",
        "phone": "+12125550123",
        "billing_id": "ACME-200",
    }
    values.update(fields)
    return create_subscriber(actor=actor, **values)


def later(**delta):
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(**delta)
    )


def text_and_html(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_creating_a_subscriber_delivers_exactly_one_welcome_email(
    cast, smtpd, actor_of
):
    ann = create_ann(actor_of(cast.bob))
    run_jobs()
    run_jobs()

    assert len(smtpd.messages) == 1
    message = smtpd.messages[0]
    assert message["To"] == "ann@customer.example"
    assert message["Subject"] == "Welcome to CX Builder: set up your account"
    email = OutboundEmail.objects.get(subscriber=ann)
    assert email.status == EmailStatus.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    assert message["Message-ID"] == email.message_id
    assert email.link_seed == "", "the seed is erased once the email is sent"
    text, html = text_and_html(message)
    url = next(w for w in text.split() if "/welcome/" in w)
    assert url in html
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert EmailLink.objects.get(subscriber=ann).token_hash == links.token_hash(token)
    assert AuditEvent.objects.filter(
        action="onboarding.welcome_email_queued", target_id=ann.public_id
    ).exists()


def test_the_job_is_enqueued_in_the_same_transaction_as_the_subscriber(cast, actor_of):
    ann = create_ann(actor_of(cast.bob))
    email = OutboundEmail.objects.get(subscriber=ann)
    job = DBTaskResult.objects.get()
    assert job.args_kwargs["args"] == [email.pk]
    assert email.status == EmailStatus.QUEUED

    with pytest.raises(RuntimeError), transaction.atomic():
        create_ann(actor_of(cast.bob), email="rolled@back.example")
        raise RuntimeError("the request failed after the create")
    assert not Subscriber.objects.filter(email="rolled@back.example").exists()
    assert OutboundEmail.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_a_refused_create_queues_no_email(cast, actor_of):
    with pytest.raises(ValidationFailed):
        create_ann(actor_of(cast.bob), billing_id="  ")
    assert not OutboundEmail.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_with_the_server_down_the_subscriber_is_created_and_the_email_follows(
    cast, smtpd, actor_of
):
    smtpd.stop()
    ann = create_ann(actor_of(cast.bob))
    run_jobs()

    assert Subscriber.objects.filter(pk=ann.pk).exists()
    email = OutboundEmail.objects.get(subscriber=ann)
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert "refused the connection" in email.last_error
    assert email.next_attempt_at > timezone.now()

    smtpd.start()
    run_jobs()
    assert smtpd.messages == [], "the retry waits for its backoff"
    with later(seconds=31):
        run_jobs()
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(smtpd.to("ann@customer.example")) == 1


def test_a_server_that_keeps_refusing_is_retried_with_backoff_then_failed(
    cast, smtpd, actor_of, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    smtpd.refuse_with = "451 4.3.0 Mailbox temporarily unavailable"
    ann = create_ann(actor_of(cast.bob))
    run_jobs()
    email = OutboundEmail.objects.get(subscriber=ann)
    first_retry = email.next_attempt_at
    with later(seconds=31):
        run_jobs()
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.next_attempt_at - first_retry >= timedelta(seconds=110)
    with later(minutes=5):
        run_jobs()

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 3
    assert email.last_error == (
        "The mail server answered 451 4.3.0 Mailbox temporarily unavailable."
    )
    assert email.link_seed == ""
    assert smtpd.messages == []
    with later(hours=12):
        run_jobs()
    email.refresh_from_db()
    assert email.attempts == 3, "a failed email is not retried on its own"


def test_a_sent_email_is_never_sent_again(cast, smtpd, actor_of):
    ann = create_ann(actor_of(cast.bob))
    run_jobs()
    email = OutboundEmail.objects.get(subscriber=ann)

    assert delivery.deliver(email.pk) == "skipped"
    with later(hours=1):
        assert delivery.recover_stalled_emails() == 0
        run_jobs()
    assert len(smtpd.messages) == 1


def test_an_email_another_worker_is_delivering_is_left_alone(cast, smtpd, actor_of):
    ann = create_ann(actor_of(cast.bob))
    email = OutboundEmail.objects.get(subscriber=ann)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, claimed_until=timezone.now() + delivery.LEASE
    )
    assert delivery.deliver(email.pk) == "skipped"
    assert smtpd.messages == []


def test_the_email_is_partner_branded_in_the_subscribers_zone_and_format(
    cast, smtpd, actor_of
):
    acme = cast.acme
    acme.product_name = "Acme Voice Studio"
    acme.sender_name = "Acme Onboarding"
    acme.sender_email = "welcome@acme.example"
    acme.support_email = "help@acme.example"
    acme.support_phone = "+1 800 555 0199"
    acme.link_expiry_hours = 48
    acme.save()
    ann = create_ann(actor_of(cast.bob), time_zone="Europe/Berlin")
    run_jobs()

    message = smtpd.messages[0]
    assert message["From"] == "Acme Onboarding <welcome@acme.example>"
    assert message["Reply-To"] == "help@acme.example"
    assert message["Subject"] == "Welcome to Acme Voice Studio: set up your account"
    text, html = text_and_html(message)
    link = EmailLink.objects.get(subscriber=ann)
    assert link.expires_at - link.created_at == timedelta(hours=48)
    expiry = ann.local_datetime(link.expires_at)
    assert expiry[2] == "." and expiry[5] == ".", "German short date: dd.MM.yy"
    for body in (text, html):
        assert "Ann Archer" in body
        assert "ann@customer.example" in body
        assert expiry in body
        assert "Europe/Berlin" in body
        assert "help@acme.example" in body
        assert "+1 800 555 0199" in body
        assert "Acme Voice Studio" in body


def test_the_link_is_built_from_the_base_url(cast, smtpd, actor_of, settings):
    settings.BASE_URL = "https://csr.acme.example"
    create_ann(actor_of(cast.bob))
    run_jobs()
    text, _ = text_and_html(smtpd.messages[0])
    assert "https://csr.acme.example/welcome/" in text


def test_a_message_refused_for_good_fails_at_once_and_the_csr_sees_why(
    cast, smtpd, actor_of, client_for
):
    smtpd.refuse_with = "554 5.7.1 Message rejected as spam"
    ann = create_ann(actor_of(cast.bob))
    run_jobs()

    email = OutboundEmail.objects.get(subscriber=ann)
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert not DBTaskResult.objects.filter(status="READY").exists()
    page = client_for(cast.bob).get(f"/subscribers/{ann.public_id}/")
    assert (
        "Failed</span>: The mail server answered 554 5.7.1 Message rejected as spam."
        in page.content.decode()
    )
