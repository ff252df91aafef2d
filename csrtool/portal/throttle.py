"""Counters that lock a door after too many failures, shared by every process.

Counts live in the database (rows in `Throttle`), so any number of web processes
see the same numbers and tests control the clock by passing `now`. A counter
forgets its failures once `period` has passed since the first of them; reaching
`limit` locks the key for `period`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from csrtool.portal.models import Throttle


@dataclass(frozen=True)
class Rule:
    scope: str
    limit: int
    period: timedelta


# Logins: 10 failures lock for 30 minutes, per account and per client IP alike.
LOGIN_ACCOUNT = Rule("login_account", 10, timedelta(minutes=30))
LOGIN_IP = Rule("login_ip", 10, timedelta(minutes=30))
# "Email me a reset link": a few per hour, so the form cannot flood a mailbox.
RESET_REQUEST_ACCOUNT = Rule("reset_request_account", 3, timedelta(hours=1))
RESET_REQUEST_IP = Rule("reset_request_ip", 20, timedelta(hours=1))
# A CSR checking a caller's PIN or security answer: 5 tries per subscriber an hour.
VERIFY_CALLER = Rule("verify_caller", 5, timedelta(hours=1))


def key_digest(rule: Rule, key: str) -> str:
    return salted_hmac(
        "csrtool.portal.lockout", f"{rule.scope}:{key}", algorithm="sha256"
    ).hexdigest()


def is_locked(rule: Rule, key: str, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return Throttle.objects.filter(
        scope=rule.scope, key_digest=key_digest(rule, key), locked_until__gt=now
    ).exists()


def remaining(rule: Rule, key: str, *, now: datetime | None = None) -> int:
    """How many more the key may count before it locks."""
    now = now or timezone.now()
    row = Throttle.objects.filter(
        scope=rule.scope, key_digest=key_digest(rule, key)
    ).first()
    if row is None:
        return rule.limit
    if row.locked_until:
        return 0 if row.locked_until > now else rule.limit
    if row.window_started_at <= now - rule.period:
        return rule.limit
    return max(rule.limit - row.count, 0)


def locked_until(rule: Rule, key: str, *, now: datetime | None = None):
    now = now or timezone.now()
    return (
        Throttle.objects.filter(
            scope=rule.scope, key_digest=key_digest(rule, key), locked_until__gt=now
        )
        .values_list("locked_until", flat=True)
        .first()
    )


def count(rule: Rule, key: str, *, now: datetime | None = None) -> bool:
    """Count one failure; True when the key is (now) locked."""
    return _bump(rule, key, now=now or timezone.now())[1]


def allow(rule: Rule, key: str, *, now: datetime | None = None) -> bool:
    """Count one request and say whether it may go ahead (the first `limit` may)."""
    return not _bump(rule, key, now=now or timezone.now())[0]


def _bump(rule: Rule, key: str, *, now: datetime) -> tuple[bool, bool]:
    """(was locked, is locked) around counting one more, under the row's lock."""
    digest = key_digest(rule, key)
    with transaction.atomic():
        row = _row_for_update(rule, digest, now)
        if row.locked_until and row.locked_until > now:
            return True, True
        if row.window_started_at <= now - rule.period or row.locked_until:
            # The old window (or an expired lock) is over: start counting afresh.
            row.count = 0
            row.window_started_at = now
            row.locked_until = None
        row.count += 1
        if row.count >= rule.limit:
            row.locked_until = now + rule.period
        row.save(update_fields=["count", "window_started_at", "locked_until"])
        return False, row.locked_until is not None


def clear(rule: Rule, key: str) -> None:
    Throttle.objects.filter(scope=rule.scope, key_digest=key_digest(rule, key)).delete()


def _row_for_update(rule: Rule, digest: str, now: datetime) -> Throttle:
    # Two first failures can race to create the row: the unique constraint lets
    # one win, the other takes the winner's row under its lock.
    queryset = Throttle.objects.select_for_update()
    row = queryset.filter(scope=rule.scope, key_digest=digest).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return Throttle.objects.create(
                scope=rule.scope, key_digest=digest, window_started_at=now
            )
    except IntegrityError:
        return queryset.get(scope=rule.scope, key_digest=digest)
