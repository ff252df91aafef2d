import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from csrtool import throttle
from csrtool.audit.models import AuditEvent
from csrtool.onboarding import hashing
from csrtool.portal import auth
from csrtool.portal.tests.conftest import SAM_PASSWORD, portal_session_subscriber
from csrtool.subscribers.models import Status

pytestmark = pytest.mark.django_db


def login(client, email, password, ip="198.51.100.7", **extra):
    return client.post(
        "/portal/login/",
        {"email": email, "password": password, **extra},
        REMOTE_ADDR=ip,
    )


def body(response) -> str:
    """The page without the parts that differ on every request."""
    text = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_sam_signs_in_with_email_and_password(sam):
    client = Client()
    response = login(client, "sam@customer.example", SAM_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    page = client.get("/portal/").content.decode()
    assert sam.public_id in page
    event = AuditEvent.objects.get(action="portal.login")
    assert event.actor_kind == "subscriber" and event.channel == "portal"
    assert event.target_id == sam.public_id and event.partner == sam.partner


def test_the_email_may_be_typed_in_any_case(sam):
    response = login(Client(), "  SAM@Customer.Example ", SAM_PASSWORD)
    assert response.status_code == 302


def test_signing_in_starts_a_new_session(sam):
    client = Client()
    client.get("/portal/login/")
    client.session["anything"] = 1
    before = client.session.session_key
    login(client, sam.email, SAM_PASSWORD)
    assert client.session.session_key != before
    assert portal_session_subscriber(client) == sam.pk


def test_a_wrong_password_is_refused_with_the_generic_message(sam):
    client = Client()
    response = login(client, sam.email, "not the password at all")
    assert response.status_code == 200
    assert auth.LOGIN_REFUSED in response.content.decode()
    assert portal_session_subscriber(client) is None
    assert AuditEvent.objects.filter(
        action="portal.login", outcome="failure", target_id=sam.public_id
    ).exists()


def test_an_unknown_address_answers_exactly_like_a_wrong_password(sam):
    wrong = login(Client(), sam.email, "not the password at all")
    unknown = login(Client(), "nobody@nowhere.example", "not the password at all")
    assert body(unknown) == body(wrong).replace(sam.email, "nobody@nowhere.example")


def test_an_unknown_address_costs_an_argon2_verify_too(cast):
    with mock.patch.object(
        hashing, "verify_secret", wraps=hashing.verify_secret
    ) as verify:
        login(Client(), "nobody@nowhere.example", "whatever it is")
    assert verify.call_count == 1


@pytest.mark.parametrize(
    "status", [Status.PENDING_ACTIVATION, Status.SUSPENDED, Status.CLOSED]
)
def test_accounts_that_are_not_active_cannot_sign_in(sam, status):
    wrong = login(Client(), sam.email, "not the password at all")
    sam.status = status
    sam.save(update_fields=["status"])
    client = Client()
    refused = login(client, sam.email, SAM_PASSWORD)
    assert body(refused) == body(wrong)
    assert portal_session_subscriber(client) is None


def test_a_subscriber_of_an_inactive_partner_cannot_sign_in(sam):
    sam.partner.is_active = False
    sam.partner.save(update_fields=["is_active"])
    response = login(Client(), sam.email, SAM_PASSWORD)
    assert auth.LOGIN_REFUSED in response.content.decode()


def test_ten_failures_from_one_address_lock_only_that_address(sam):
    start = timezone.now()
    with at(start):
        first = login(Client(), sam.email, "wrong password 0", ip="203.0.113.9")
        for attempt in range(1, 10):
            login(Client(), sam.email, f"wrong {attempt}", ip="203.0.113.9")
        locked = login(Client(), sam.email, SAM_PASSWORD, ip="203.0.113.9")
        # The owner, elsewhere, is not locked out by whoever guessed.
        owner = login(Client(), sam.email, SAM_PASSWORD, ip="198.51.100.50")
    assert locked.status_code == 200
    assert body(locked) == body(first)
    assert owner.status_code == 302
    assert AuditEvent.objects.filter(
        action="portal.locked_out", target_id=sam.public_id
    ).exists()


def test_the_locked_address_opens_again_after_thirty_minutes(sam):
    start = timezone.now()
    with at(start):
        for attempt in range(10):
            login(Client(), sam.email, f"wrong {attempt}", ip="203.0.113.9")
    with at(start + timedelta(minutes=29)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="203.0.113.9").status_code
            == 200
        )
    with at(start + timedelta(minutes=30, seconds=1)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="203.0.113.9").status_code
            == 302
        )


def test_failures_from_many_addresses_slow_the_account_down_but_never_shut_it(sam):
    start = timezone.now()
    with at(start):
        for attempt in range(20):
            login(Client(), sam.email, f"wrong {attempt}", ip=f"10.0.0.{attempt}")
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="10.9.9.9").status_code == 200
        )
    assert AuditEvent.objects.filter(
        action="portal.sign_in_slowed", target_id=sam.public_id
    ).exists()
    # Each further failure doubles the wait: 30 s, then 60 s, then 120 s…
    with at(start + timedelta(seconds=31)):
        login(Client(), sam.email, "wrong again", ip="10.0.1.1")
    with at(start + timedelta(seconds=31 + 59)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="10.9.9.9").status_code == 200
        )
    with at(start + timedelta(seconds=31 + 61)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="10.9.9.9").status_code == 302
        )


def test_the_wait_is_capped_at_fifteen_minutes(sam):
    moment = timezone.now()
    for attempt in range(30):
        with at(moment):
            login(Client(), sam.email, f"wrong {attempt}", ip=f"10.0.3.{attempt}")
        moment += timedelta(minutes=16)
    with at(moment - timedelta(minutes=16) + timedelta(minutes=14, seconds=59)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="10.9.9.9").status_code == 200
        )
    with at(moment - timedelta(minutes=16) + timedelta(minutes=15, seconds=1)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="10.9.9.9").status_code == 302
        )


def test_tries_while_held_back_are_neither_checked_nor_counted(sam):
    start = timezone.now()
    with at(start):
        for attempt in range(20):
            ip = f"203.0.113.{attempt % 2}"
            login(Client(), sam.email, f"wrong {attempt}", ip=ip)
        for attempt in range(50):
            ip = f"203.0.113.{attempt % 3}"
            login(Client(), sam.email, f"more {attempt}", ip=ip)
    # Fifty more tries did not stretch the account's 30-second wait.
    with at(start + timedelta(seconds=31)):
        assert (
            login(Client(), sam.email, SAM_PASSWORD, ip="10.9.9.9").status_code == 302
        )


def test_nine_failures_then_success_start_the_count_again(sam):
    for attempt in range(9):
        login(Client(), sam.email, f"wrong password {attempt}", ip=f"10.0.0.{attempt}")
    assert login(Client(), sam.email, SAM_PASSWORD, ip="10.1.1.1").status_code == 302
    for attempt in range(9):
        login(Client(), sam.email, f"wrong password {attempt}", ip=f"10.0.1.{attempt}")
    assert login(Client(), sam.email, SAM_PASSWORD, ip="10.1.1.2").status_code == 302


def test_failures_from_one_ip_across_accounts_lock_that_ip_for_every_account(sam, gus):
    for n in range(throttle.LOGIN_IP.limit):
        login(Client(), f"someone{n}@nowhere.example", "guessing", ip="203.0.113.9")
    refused = login(Client(), sam.email, SAM_PASSWORD, ip="203.0.113.9")
    assert auth.LOGIN_REFUSED in refused.content.decode()
    assert (
        login(Client(), sam.email, SAM_PASSWORD, ip="203.0.113.10").status_code == 302
    )


def test_a_locked_account_answers_like_an_unknown_one(sam):
    for n in range(20):
        login(Client(), sam.email, "guessing wrong", ip=f"10.0.2.{n}")
    locked = login(Client(), sam.email, SAM_PASSWORD, ip="10.3.3.3")
    unknown = login(Client(), "nobody@nowhere.example", "x", ip="10.3.3.4")
    assert body(locked) == body(unknown).replace("nobody@nowhere.example", sam.email)


def test_portal_pages_need_a_portal_session(cast, client_for):
    response = Client().get("/portal/settings/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/login/?next=%2Fportal%2Fsettings%2F"
    staff = client_for(cast.bob)
    assert staff.get("/portal/").status_code == 302


def test_it_returns_to_the_page_asked_for_but_never_elsewhere(sam):
    ok = login(Client(), sam.email, SAM_PASSWORD, next="/portal/settings/")
    assert ok["Location"] == "/portal/settings/"
    evil = login(Client(), sam.email, SAM_PASSWORD, next="https://evil.example/")
    assert evil["Location"] == "/portal/"


def test_signing_out_ends_the_portal_session(sam_client):
    response = sam_client.post("/portal/logout/")
    assert response["Location"] == "/portal/login/"
    assert sam_client.get("/portal/").status_code == 302


def test_a_suspended_subscriber_is_let_out_at_the_next_request(sam, sam_client):
    sam.status = Status.SUSPENDED
    sam.save(update_fields=["status"])
    assert sam_client.get("/portal/").status_code == 302


def test_portal_login_starts_a_session_for_a_just_activated_subscriber(sam, rf):
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.session = SessionStore()
    auth.portal_login(request, sam)
    assert auth.current_subscriber(request) == sam
