import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from csrtool.portal import lockout
from csrtool.portal.models import Throttle

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULE = lockout.LOGIN_ACCOUNT


def fail(times, key="sam@customer.example", *, now=T0, rule=RULE):
    locked = False
    for _ in range(times):
        locked = lockout.count(rule, key, now=now)
    return locked


@pytest.mark.django_db
def test_nine_failures_do_not_lock():
    assert fail(9) is False
    assert not lockout.is_locked(RULE, "sam@customer.example", now=T0)


@pytest.mark.django_db
def test_the_tenth_failure_locks_for_thirty_minutes():
    assert fail(10) is True
    key = "sam@customer.example"
    assert lockout.is_locked(RULE, key, now=T0 + timedelta(minutes=29, seconds=59))
    assert not lockout.is_locked(RULE, key, now=T0 + timedelta(minutes=30))


@pytest.mark.django_db
def test_failures_older_than_the_period_are_forgotten():
    fail(9)
    later = T0 + timedelta(minutes=31)
    assert fail(9, now=later) is False
    assert not lockout.is_locked(RULE, "sam@customer.example", now=later)


@pytest.mark.django_db
def test_counting_starts_afresh_after_a_lock_expires():
    fail(10)
    later = T0 + timedelta(minutes=30)
    assert fail(1, now=later) is False
    assert Throttle.objects.get().count == 1


@pytest.mark.django_db
def test_accounts_and_ips_are_counted_separately():
    fail(10, key="203.0.113.9", rule=lockout.LOGIN_IP)
    assert lockout.is_locked(lockout.LOGIN_IP, "203.0.113.9", now=T0)
    assert not lockout.is_locked(lockout.LOGIN_ACCOUNT, "203.0.113.9", now=T0)
    assert not lockout.is_locked(lockout.LOGIN_IP, "198.51.100.1", now=T0)


@pytest.mark.django_db
def test_clear_forgets_the_failures():
    fail(9)
    lockout.clear(RULE, "sam@customer.example")
    assert fail(1) is False
    assert Throttle.objects.get().count == 1


@pytest.mark.django_db
def test_it_never_stores_the_address_or_ip():
    fail(1, key="sam@customer.example")
    fail(1, key="203.0.113.9", rule=lockout.LOGIN_IP)
    for row in Throttle.objects.all():
        assert "sam" not in row.key_digest and "203" not in row.key_digest


@pytest.mark.django_db
def test_allow_lets_the_first_requests_through_then_refuses():
    rule = lockout.RESET_REQUEST_ACCOUNT
    answers = [lockout.allow(rule, "sam", now=T0) for _ in range(rule.limit + 2)]
    assert answers == [True] * rule.limit + [False, False]
    assert lockout.allow(rule, "sam", now=T0 + rule.period)


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted():
    def worker():
        try:
            for _ in range(3):
                lockout.count(RULE, "sam@customer.example", now=T0)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Throttle.objects.get().count == 9
