from datetime import UTC, datetime, timedelta

import pytest

from csrtool import throttle
from csrtool.partners.models import Throttle
from csrtool.tests.races import race

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULE = throttle.Bucket("test_lock", 10, timedelta(minutes=30))


def fail(times, key="sam@customer.example", *, now=T0, rule=RULE):
    locked = False
    for _ in range(times):
        locked = throttle.fail(rule, key, now=now)
    return locked


@pytest.mark.django_db
def test_nine_failures_do_not_lock():
    assert fail(9) is False
    assert not throttle.is_locked(RULE, "sam@customer.example", now=T0)


@pytest.mark.django_db
def test_the_tenth_failure_locks_for_thirty_minutes():
    assert fail(10) is True
    key = "sam@customer.example"
    assert throttle.is_locked(RULE, key, now=T0 + timedelta(minutes=29, seconds=59))
    assert not throttle.is_locked(RULE, key, now=T0 + timedelta(minutes=30))


@pytest.mark.django_db
def test_failures_older_than_the_period_are_forgotten():
    fail(9)
    later = T0 + timedelta(minutes=31)
    assert fail(9, now=later) is False
    assert not throttle.is_locked(RULE, "sam@customer.example", now=later)


@pytest.mark.django_db
def test_counting_starts_afresh_after_a_lock_expires():
    fail(10)
    later = T0 + timedelta(minutes=30)
    assert fail(1, now=later) is False
    assert Throttle.objects.get().count == 1


@pytest.mark.django_db
def test_accounts_and_ips_are_counted_separately():
    fail(throttle.LOGIN_IP.limit, key="203.0.113.9", rule=throttle.LOGIN_IP)
    assert throttle.is_locked(throttle.LOGIN_IP, "203.0.113.9", now=T0)
    assert not throttle.is_locked(throttle.LOGIN_ACCOUNT, "203.0.113.9", now=T0)
    assert not throttle.is_locked(throttle.LOGIN_IP, "198.51.100.1", now=T0)


@pytest.mark.django_db
def test_clear_forgets_the_failures():
    fail(9)
    throttle.reset(RULE, "sam@customer.example")
    assert fail(1) is False
    assert Throttle.objects.get().count == 1


@pytest.mark.django_db
def test_it_never_stores_the_address_or_ip():
    fail(1, key="sam@customer.example")
    fail(1, key="203.0.113.9", rule=throttle.LOGIN_IP)
    for row in Throttle.objects.all():
        assert "sam" not in row.key_digest and "203" not in row.key_digest


@pytest.mark.django_db
def test_allow_lets_the_first_requests_through_then_refuses():
    rule = throttle.RESET_REQUEST_ACCOUNT
    answers = [throttle.allow(rule, "sam", now=T0) for _ in range(rule.limit + 2)]
    assert answers == [True] * rule.limit + [False, False]
    assert throttle.allow(rule, "sam", now=T0 + rule.period)


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_all_counted():
    # Each racer stops after reading the count until the others have read it
    # too; only the row lock taken with the read keeps them from all writing
    # the same count + 1.
    def three_failures():
        return [fail(1) for _ in range(3)]

    outcomes = race(
        three_failures,
        three_failures,
        three_failures,
        pause_after="csrtool.throttle._row_for_update",
    )

    assert outcomes == [[False, False, False]] * 3
    assert Throttle.objects.get().count == 9


@pytest.mark.django_db
def test_new_welcome_link_requests_are_counted_in_the_same_table(cast):
    from csrtool.onboarding.services import request_new_link

    request_new_link(email="sam@customer.example", source_ip="203.0.113.9", now=T0)
    scopes = set(Throttle.objects.values_list("scope", flat=True))
    assert scopes == {"new_link_address", "new_link_ip"}
    assert (
        throttle.remaining(throttle.NEW_LINK_ADDRESS, "sam@customer.example", now=T0)
        == 2
    )


SLOW = throttle.Bucket(
    "test_slow",
    3,
    timedelta(hours=24),
    first_wait=timedelta(seconds=30),
    max_wait=timedelta(minutes=15),
)


@pytest.mark.django_db
def test_a_slowing_bucket_makes_the_key_wait_longer_after_each_failure():
    now = T0
    waits = []
    for _ in range(10):
        fail(1, rule=SLOW, now=now)
        until = throttle.locked_until(SLOW, "sam@customer.example", now=now)
        waits.append(int((until - now).total_seconds()) if until else 0)
        now = until or now
    assert waits == [0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


@pytest.mark.django_db
def test_a_slowing_bucket_forgets_a_day_after_the_last_failure():
    fail(3, rule=SLOW)
    later = T0 + timedelta(hours=24, seconds=1)
    assert fail(1, rule=SLOW, now=later) is False


@pytest.mark.django_db
def test_pairs_are_counted_per_pair_and_forgotten_per_group():
    rule = throttle.LOGIN_PAIR
    fail(rule.limit, key=("sam", "203.0.113.9"), rule=rule)
    fail(rule.limit, key=("sam", "203.0.113.10"), rule=rule)
    fail(rule.limit, key=("sami", "203.0.113.9"), rule=rule)
    assert throttle.is_locked(rule, ("sam", "203.0.113.9"), now=T0)
    assert not throttle.is_locked(rule, ("sam", "198.51.100.1"), now=T0)
    assert throttle.group_locked_until(rule, "sam", now=T0) == T0 + rule.period
    assert throttle.reset_group(rule, "sam") == 2
    assert not throttle.is_locked(rule, ("sam", "203.0.113.9"), now=T0)
    assert throttle.is_locked(rule, ("sami", "203.0.113.9"), now=T0)
