"""The one rate limiter: counts per bucket and key, shared by every process.

A bucket is a limit over a period: failed sign-ins per account, "email me a
link" requests per address, verify-caller tries per subscriber… Counts live in
the database (rows in `Throttle`), so any number of web processes see the same
numbers, and tests control the clock by passing `now`. A key's count forgets
itself once `period` has passed since its first entry; reaching `limit` locks the
key for `period`.

    allow(bucket, key)  count one request; False once the key is over its limit
    fail(bucket, key)   count one failure; True when that (now) locks the key
    reset(bucket, key)  forget the key's count and lock
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from csrtool.portal.models import Throttle


@dataclass(frozen=True)
class Bucket:
    scope: str
    limit: int
    period: timedelta


# Sign-ins: 10 failures lock for 30 minutes, per account and per client IP alike.
LOGIN_ACCOUNT = Bucket("login_account", 10, timedelta(minutes=30))
LOGIN_IP = Bucket("login_ip", 10, timedelta(minutes=30))
# "Email me a reset link": a few per hour, so the form cannot flood a mailbox.
RESET_REQUEST_ACCOUNT = Bucket("reset_request_account", 3, timedelta(hours=1))
RESET_REQUEST_IP = Bucket("reset_request_ip", 20, timedelta(hours=1))
# "Email me a new welcome link", from an expired or used link.
NEW_LINK_ADDRESS = Bucket("new_link_address", 3, timedelta(hours=1))
NEW_LINK_IP = Bucket("new_link_ip", 10, timedelta(hours=1))
# A CSR checking a caller's PIN or security answer: 5 tries per subscriber an hour.
VERIFY_CALLER = Bucket("verify_caller", 5, timedelta(hours=1))


def key_digest(bucket: Bucket, key: str) -> str:
    # The salt predates the module's name: changing it would orphan every live
    # count (and lift every lock) on upgrade.
    return salted_hmac(
        "csrtool.portal.lockout", f"{bucket.scope}:{key}", algorithm="sha256"
    ).hexdigest()


def allow(bucket: Bucket, key: str, *, now: datetime | None = None) -> bool:
    """Count one request and say whether it may go ahead (the first `limit` may)."""
    return not _bump(bucket, key, now=now or timezone.now())[0]


def fail(bucket: Bucket, key: str, *, now: datetime | None = None) -> bool:
    """Count one failure; True when the key is (now) locked."""
    return _bump(bucket, key, now=now or timezone.now())[1]


def reset(bucket: Bucket, key: str) -> None:
    """Forget the key's count, and lift its lock."""
    Throttle.objects.filter(
        scope=bucket.scope, key_digest=key_digest(bucket, key)
    ).delete()


def is_locked(bucket: Bucket, key: str, *, now: datetime | None = None) -> bool:
    return locked_until(bucket, key, now=now) is not None


def locked_until(bucket: Bucket, key: str, *, now: datetime | None = None):
    """When the key's lock ends, or None when it is not locked."""
    now = now or timezone.now()
    return (
        Throttle.objects.filter(
            scope=bucket.scope,
            key_digest=key_digest(bucket, key),
            locked_until__gt=now,
        )
        .values_list("locked_until", flat=True)
        .first()
    )


def remaining(bucket: Bucket, key: str, *, now: datetime | None = None) -> int:
    """How many more the key may count before it locks."""
    now = now or timezone.now()
    row = Throttle.objects.filter(
        scope=bucket.scope, key_digest=key_digest(bucket, key)
    ).first()
    if row is None:
        return bucket.limit
    if row.locked_until:
        return 0 if row.locked_until > now else bucket.limit
    if row.window_started_at <= now - bucket.period:
        return bucket.limit
    return max(bucket.limit - row.count, 0)


def _bump(bucket: Bucket, key: str, *, now: datetime) -> tuple[bool, bool]:
    """(was locked, is locked) around counting one more, under the row's lock."""
    digest = key_digest(bucket, key)
    with transaction.atomic():
        row = _row_for_update(bucket, digest, now)
        if row.locked_until and row.locked_until > now:
            return True, True
        if row.window_started_at <= now - bucket.period or row.locked_until:
            # The old window (or an expired lock) is over: start counting afresh.
            row.count = 0
            row.window_started_at = now
            row.locked_until = None
        row.count += 1
        if row.count >= bucket.limit:
            row.locked_until = now + bucket.period
        row.save(update_fields=["count", "window_started_at", "locked_until"])
        return False, row.locked_until is not None


def _row_for_update(bucket: Bucket, digest: str, now: datetime) -> Throttle:
    # Two first counts can race to create the row: the unique constraint lets one
    # win, the other takes the winner's row under its lock.
    queryset = Throttle.objects.select_for_update()
    row = queryset.filter(scope=bucket.scope, key_digest=digest).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return Throttle.objects.create(
                scope=bucket.scope, key_digest=digest, window_started_at=now
            )
    except IntegrityError:
        return queryset.get(scope=bucket.scope, key_digest=digest)
