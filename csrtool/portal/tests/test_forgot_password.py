import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from csrtool import throttle
from csrtool.audit.models import AuditEvent
from csrtool.onboarding import hashing
from csrtool.onboarding.models import EmailLink, LinkPurpose, SubscriberCredentials
from csrtool.portal import auth, reset
from csrtool.portal.tests.conftest import (
    SAM_ANSWER,
    SAM_PASSWORD,
    deliver_all,
    link_in,
    portal_client,
)
from csrtool.subscribers.models import Status

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "copper meadow lantern quiz"


def ask(client, email, ip="198.51.100.20"):
    return client.post("/portal/forgot-password/", {"email": email}, REMOTE_ADDR=ip)


def body(response) -> str:
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()
    )


def reset_path(subscriber) -> str:
    ask(Client(), subscriber.email)
    [message] = deliver_all()
    assert message.to == [subscriber.email]
    return link_in(message)


def answer(client, text):
    return client.post("/portal/reset/", {"answer": text})


def new_password(client, password=NEW_PASSWORD, again=None):
    return client.post(
        "/portal/reset/",
        {"new_password": password, "new_password_again": again or password},
    )


def password_hash(subscriber):
    return SubscriberCredentials.objects.get(subscriber=subscriber).password_hash


def test_the_whole_reset_link_then_answer_then_new_password(sam):
    path = reset_path(sam)
    client = Client()
    opened = client.get(path)
    assert opened.status_code == 302 and opened["Location"] == "/portal/reset/"
    assert opened["Referrer-Policy"] == "no-referrer"
    page = client.get("/portal/reset/").content.decode()
    assert "What was the name of your first pet?" in page
    assert answer(client, "  biscuit THE dog ")["Location"] == "/portal/reset/"
    done = new_password(client)
    assert done["Location"] == "/portal/login/"
    assert hashing.check_password(password_hash(sam), NEW_PASSWORD)
    assert portal_client(sam, NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="portal.password_reset").exists()
    [notice] = deliver_all()
    assert "password was changed" in notice.subject


def test_every_address_gets_the_same_answer(sam):
    sam_page = ask(Client(), sam.email)
    unknown = ask(Client(), "nobody@nowhere.example")
    assert body(sam_page) == body(unknown)
    assert "If an account uses that address" in body(sam_page)
    assert [m.to for m in deliver_all()] == [[sam.email]]


@pytest.mark.parametrize("status", [Status.PENDING_ACTIVATION, Status.SUSPENDED])
def test_accounts_that_are_not_active_get_no_email(sam, status):
    sam.status = status
    sam.save(update_fields=["status"])
    assert (
        "If an account uses that address" in ask(Client(), sam.email).content.decode()
    )
    assert deliver_all() == []


def test_requests_are_limited_per_address_without_saying_so(sam):
    pages = [body(ask(Client(), sam.email, ip=f"10.0.0.{n}")) for n in range(5)]
    assert len(set(pages)) == 1
    assert len(deliver_all()) == throttle.RESET_REQUEST_ACCOUNT.limit


def test_requests_are_limited_per_ip(sam, gus):
    for n in range(throttle.RESET_REQUEST_IP.limit):
        ask(Client(), f"someone{n}@nowhere.example", ip="203.0.113.50")
    ask(Client(), sam.email, ip="203.0.113.50")
    assert deliver_all() == []


def test_the_link_works_once(sam):
    path = reset_path(sam)
    client = Client()
    client.get(path)
    answer(client, SAM_ANSWER)
    new_password(client)
    again = Client()
    assert again.get(path).status_code == 410


def test_opening_the_link_does_not_use_it_up(sam):
    path = reset_path(sam)
    Client().get(path)
    Client().get(path)
    client = Client()
    client.get(path)
    answer(client, SAM_ANSWER)
    assert new_password(client)["Location"] == "/portal/login/"


def test_the_link_expires_after_an_hour(sam):
    path = reset_path(sam)
    later = timezone.now() + timedelta(minutes=61)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = Client().get(path)
    assert response.status_code == 410
    assert "can no longer be used" in response.content.decode()


def test_a_tampered_link_does_not_work(sam):
    path = reset_path(sam)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert Client().get(tampered).status_code == 410
    assert Client().get("/portal/reset/").status_code == 410


def test_a_newer_link_revokes_the_older_one(sam):
    first = reset_path(sam)
    second = reset_path(sam)
    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 302


def test_the_link_alone_cannot_set_a_password(sam):
    client = Client()
    client.get(reset_path(sam))
    response = new_password(client)
    assert response.status_code == 200
    assert hashing.check_password(password_hash(sam), SAM_PASSWORD)


def test_a_wrong_answer_is_refused_and_counts_toward_the_lockout(sam):
    client = Client()
    client.get(reset_path(sam))
    for _ in range(10):
        refused = answer(client, "Rex")
        assert reset.WRONG_ANSWER in refused.content.decode()
    # Locked now: even the right answer, and the right password, are refused.
    assert reset.WRONG_ANSWER in answer(client, SAM_ANSWER).content.decode()
    login = Client().post(
        "/portal/login/", {"email": sam.email, "password": SAM_PASSWORD}
    )
    assert auth.LOGIN_REFUSED in login.content.decode()
    assert (
        AuditEvent.objects.filter(
            action="portal.password_reset_answer", outcome="failure"
        ).count()
        == 10  # the right answer, while locked, is not even checked
    )


def test_the_new_password_follows_the_policy(sam):
    client = Client()
    client.get(reset_path(sam))
    answer(client, SAM_ANSWER)
    assert "too short" in new_password(client, "short").content.decode()
    assert "differ" in new_password(client, NEW_PASSWORD, "other").content.decode()
    assert hashing.check_password(password_hash(sam), SAM_PASSWORD)


def test_a_reset_ends_every_portal_session(sam):
    signed_in = portal_client(sam)
    client = Client()
    client.get(reset_path(sam))
    answer(client, SAM_ANSWER)
    new_password(client)
    assert signed_in.get("/portal/").status_code == 302


def test_the_link_never_reaches_the_database_or_the_audit_log(sam):
    path = reset_path(sam)
    token = path.rstrip("/").rsplit("/", 1)[1]
    link = EmailLink.objects.get(purpose=LinkPurpose.PASSWORD_RESET)
    assert token not in link.token_hash
    for event in AuditEvent.objects.all():
        assert token not in f"{event.before} {event.after} {event.reason}"
