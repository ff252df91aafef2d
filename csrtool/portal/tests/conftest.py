"""Portal test helpers: an activated "sam" with known secrets, and the outbox."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from csrtool.conftest import run_jobs
from csrtool.onboarding import hashing
from csrtool.onboarding.delivery import deliver
from csrtool.onboarding.models import EmailStatus, OutboundEmail, SubscriberCredentials
from csrtool.portal import auth
from csrtool.subscribers.models import Status

SAM_PASSWORD = "plum tractor violin harbour"
SAM_PIN = "583920"
SAM_QUESTION = "What was the name of your first pet?"
SAM_ANSWER = "Biscuit the Dog"


def activate(subscriber, *, password=SAM_PASSWORD, pin=SAM_PIN, answer=SAM_ANSWER):
    subscriber.status = Status.ACTIVE
    subscriber.activated_at = timezone.now()
    subscriber.save(update_fields=["status", "activated_at"])
    return SubscriberCredentials.objects.create(
        subscriber=subscriber,
        password_hash=hashing.hash_password(password),
        pin_hash=hashing.hash_pin(pin),
        security_question=SAM_QUESTION,
        security_answer_hash=hashing.hash_answer(answer),
    )


@pytest.fixture
def sam(cast):
    activate(cast.sam)
    cast.sam.refresh_from_db()
    return cast.sam


@pytest.fixture
def gus(cast):
    activate(cast.gus)
    cast.gus.refresh_from_db()
    return cast.gus


def portal_client(subscriber, password=SAM_PASSWORD) -> Client:
    client = Client()
    response = client.post(
        "/portal/login/", {"email": subscriber.email, "password": password}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def sam_client(sam):
    return portal_client(sam)


def deliver_all() -> list:
    """Answer the queued link requests, then run every queued email's delivery now;
    return what reached the mailboxes."""
    before = len(mail.outbox)
    run_jobs()
    for pk in OutboundEmail.objects.filter(status=EmailStatus.QUEUED).values_list(
        "pk", flat=True
    ):
        deliver(pk)
    return mail.outbox[before:]


def link_in(message) -> str:
    """The path of the link in an email's text."""
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def portal_session_subscriber(client):
    return client.session.get(auth.SESSION_KEY)
