"""Staff sign-in: guessing from one address stops that address, never the owner.

SECURITY.md has the rules; the figures below are the defaults (10 failures lock
the pair for 30 minutes, 30 lock an address, 20 start slowing the account).
"""

import contextlib
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from csrtool import throttle
from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD
from csrtool.partners import sign_in

pytestmark = pytest.mark.django_db


def sign_in_as(email, password, ip):
    return Client().post(
        "/login/", {"username": email, "password": password}, REMOTE_ADDR=ip
    )


@contextlib.contextmanager
def at(moment):
    # django-axes reads the clock through its own import of now().
    with (
        mock.patch("django.utils.timezone.now", return_value=moment),
        mock.patch("axes.handlers.proxy.now", return_value=moment),
    ):
        yield


def test_ten_wrong_passwords_from_one_address_do_not_lock_the_owner_out(cast):
    for n in range(10):
        sign_in_as("bob@acme.example", f"guess {n}", "203.0.113.9")
    owner = sign_in_as("bob@acme.example", PASSWORD, "198.51.100.7")
    assert owner.status_code == 302, "the owner, elsewhere, signs in"
    guesser = sign_in_as("bob@acme.example", PASSWORD, "203.0.113.9")
    assert guesser.status_code == 429
    assert sign_in.PAUSED in guesser.content.decode()


def test_the_paused_address_opens_again_after_thirty_minutes(cast):
    start = timezone.now()
    with at(start):
        for n in range(10):
            sign_in_as("bob@acme.example", f"guess {n}", "203.0.113.9")
    with at(start + timedelta(minutes=29)):
        assert (
            sign_in_as("bob@acme.example", PASSWORD, "203.0.113.9").status_code == 429
        )
    with at(start + timedelta(minutes=30, seconds=1)):
        assert (
            sign_in_as("bob@acme.example", PASSWORD, "203.0.113.9").status_code == 302
        )


def test_an_address_failing_across_accounts_is_paused_for_every_account(cast):
    for n in range(throttle.LOGIN_IP.limit):
        sign_in_as(f"someone{n}@acme.example", "spray", "203.0.113.9")
    assert sign_in_as("bob@acme.example", PASSWORD, "203.0.113.9").status_code == 429
    assert sign_in_as("bob@acme.example", PASSWORD, "203.0.113.10").status_code == 302


def test_failures_from_many_addresses_slow_the_account_down_but_never_shut_it(cast):
    start = timezone.now()
    with at(start):
        for n in range(20):
            sign_in_as("bob@acme.example", f"guess {n}", f"10.0.0.{n}")
        held = sign_in_as("bob@acme.example", PASSWORD, "198.51.100.7")
    assert held.status_code == 429
    assert AuditEvent.objects.filter(
        action="staff.sign_in_slowed", target_id=str(cast.bob.pk)
    ).exists()
    with at(start + timedelta(seconds=31)):
        assert (
            sign_in_as("bob@acme.example", PASSWORD, "198.51.100.7").status_code == 302
        )


def test_tries_while_paused_are_neither_checked_nor_counted(cast):
    start = timezone.now()
    with at(start):
        for n in range(20):
            sign_in_as("bob@acme.example", f"guess {n}", f"10.0.1.{n % 2}")
        for n in range(40):
            sign_in_as("bob@acme.example", f"more {n}", f"10.0.1.{n % 2}")
    assert (
        AuditEvent.objects.filter(
            action="staff.login_failed", outcome="failure"
        ).count()
        == 20
    )
    with at(start + timedelta(seconds=31)):
        assert (
            sign_in_as("bob@acme.example", PASSWORD, "198.51.100.7").status_code == 302
        )


def test_an_unknown_address_is_paused_like_a_known_one(cast):
    for n in range(10):
        sign_in_as("nobody@acme.example", f"guess {n}", "203.0.113.9")
        sign_in_as("bob@acme.example", f"guess {n}", "203.0.113.9")
    unknown = sign_in_as("nobody@acme.example", "x", "203.0.113.9")
    known = sign_in_as("bob@acme.example", "x", "203.0.113.9")
    assert unknown.status_code == known.status_code == 429
    assert sign_in.PAUSED in unknown.content.decode()
    assert sign_in.PAUSED in known.content.decode()


def test_a_partner_admin_lets_a_member_of_staff_in_again(cast, client_for):
    for n in range(20):
        sign_in_as("bob@acme.example", f"guess {n}", "203.0.113.9")
    alice = client_for(cast.alice)
    page = alice.get(f"/staff/{cast.bob.pk}/").content.decode()
    assert "sign in again now" in page
    response = alice.post(f"/staff/{cast.bob.pk}/clear-sign-in/")
    assert response.status_code == 302
    assert sign_in_as("bob@acme.example", PASSWORD, "203.0.113.9").status_code == 302
    event = AuditEvent.objects.get(action="staff.sign_in_cleared")
    assert event.actor_label == cast.alice.email
    assert event.target_id == str(cast.bob.pk)


def test_another_partners_admin_cannot_clear_the_failures(cast, client_for):
    for n in range(10):
        sign_in_as("bob@acme.example", f"guess {n}", "203.0.113.9")
    gina = client_for(cast.gina)
    assert gina.post(f"/staff/{cast.bob.pk}/clear-sign-in/").status_code == 404
    assert sign_in_as("bob@acme.example", PASSWORD, "203.0.113.9").status_code == 429
    assert not AuditEvent.objects.filter(action="staff.sign_in_cleared").exists()


def test_a_csr_cannot_clear_the_failures(cast, client_for):
    for n in range(10):
        sign_in_as("alice@acme.example", f"guess {n}", "203.0.113.9")
    bob = client_for(cast.bob)
    assert bob.post(f"/staff/{cast.alice.pk}/clear-sign-in/").status_code == 404
    assert not AuditEvent.objects.filter(action="staff.sign_in_cleared").exists()
