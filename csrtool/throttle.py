"""The one rate limiter: counts per bucket and key, shared by every process.

A bucket is a limit over a period: failed sign-ins per account and address,
"email me a link" requests per address, verify-caller tries per subscriber… Counts
live in the database (rows in `Throttle`), so any number of web processes see the
same numbers, and tests control the clock by passing `now`. A key's count forgets
itself once `period` has passed since its first entry; reaching `limit` locks the
key for `period`.

A slowing bucket (`first_wait` set) never locks for a whole period: from its
`limit`-th failure on, each failure makes the key wait `first_wait`, doubling,
at most `max_wait`; its count forgets itself `period` after the last failure.

A key may be a pair (group, key), e.g. (account, client address): the pair is
counted on its own, and `reset_group` forgets every pair of one group at once.

    allow(bucket, key)  count one request; False once the key is over its limit
    fail(bucket, key)   count one failure; True when that (now) locks the key
    reset(bucket, key)  forget the key's count and lock
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from csrtool.partners.models import Throttle


@dataclass(frozen=True)
class Bucket:
    scope: str
    limit: int
    period: timedelta
    first_wait: timedelta | None = None
    max_wait: timedelta | None = None

    def wait_after(self, count: int) -> timedelta:
        """How long a slowing bucket's key waits after its `count`-th failure."""
        doublings = min(count - self.limit, 30)
        return min(self.first_wait * 2**doublings, self.max_wait)


Key = str | tuple[str, str]

# Sign-ins (staff and subscribers; see SECURITY.md). Failures lock the pair
# (account, client address); a client address failing across many accounts is
# locked for everyone behind it; an account failing from many addresses is slowed
# down, never shut, so nobody can lock its owner out from afar.
_LOCK = timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
_SLOW = {
    "first_wait": timedelta(seconds=settings.LOGIN_SLOWDOWN_FIRST_SECONDS),
    "max_wait": timedelta(minutes=settings.LOGIN_SLOWDOWN_MAX_MINUTES),
}
LOGIN_PAIR = Bucket("login_pair", settings.LOGIN_LOCK_FAILURES, _LOCK)
LOGIN_IP = Bucket("login_ip", settings.LOGIN_ADDRESS_FAILURES, _LOCK)
LOGIN_ACCOUNT = Bucket(
    "login_account", settings.LOGIN_SLOWDOWN_AFTER, timedelta(hours=24), **_SLOW
)
STAFF_LOGIN_ACCOUNT = Bucket(
    "staff_login_account", settings.LOGIN_SLOWDOWN_AFTER, timedelta(hours=24), **_SLOW
)
# "Email me a reset link": a few per hour, so the form cannot flood a mailbox.
RESET_REQUEST_ACCOUNT = Bucket("reset_request_account", 3, timedelta(hours=1))
RESET_REQUEST_IP = Bucket("reset_request_ip", 20, timedelta(hours=1))
# "Email me a new welcome link", from an expired or used link.
NEW_LINK_ADDRESS = Bucket("new_link_address", 3, timedelta(hours=1))
NEW_LINK_IP = Bucket("new_link_ip", 10, timedelta(hours=1))
# A CSR checking a caller's PIN or security answer: 5 tries per subscriber an hour.
VERIFY_CALLER = Bucket("verify_caller", 5, timedelta(hours=1))
# A partner admin's "send a test to me" of an email template: 20 an hour each.
EMAIL_TEMPLATE_TEST = Bucket("email_template_test", 20, timedelta(hours=1))


def _hmac(text: str) -> str:
    # The salt predates the module's name: changing it would orphan every live
    # count (and lift every lock) on upgrade.
    return salted_hmac("csrtool.portal.lockout", text, algorithm="sha256").hexdigest()


def _group_digest(bucket: Bucket, group: str) -> str:
    return _hmac(f"{bucket.scope}:{group}")[:32]


def key_digest(bucket: Bucket, key: Key) -> str:
    if isinstance(key, tuple):
        group, member = key
        # The group's digest first, so one range of the index holds all its pairs.
        return (
            _group_digest(bucket, group)
            + _hmac(f"{bucket.scope}:{group}\n{member}")[:32]
        )
    return _hmac(f"{bucket.scope}:{key}")


def allow(bucket: Bucket, key: Key, *, now: datetime | None = None) -> bool:
    """Count one request and say whether it may go ahead (the first `limit` may)."""
    return not _bump(bucket, key, now=now or timezone.now())[0]


def fail(bucket: Bucket, key: Key, *, now: datetime | None = None) -> bool:
    """Count one failure; True when the key is (now) locked."""
    return _bump(bucket, key, now=now or timezone.now())[1]


def reset(bucket: Bucket, key: Key) -> None:
    """Forget the key's count, and lift its lock."""
    Throttle.objects.filter(
        scope=bucket.scope, key_digest=key_digest(bucket, key)
    ).delete()


def reset_group(bucket: Bucket, group: str) -> int:
    """Forget every pair (group, …): e.g. an account's locks on every address."""
    prefix = _group_digest(bucket, group)
    # Hex digits sort below "g": the range is exactly the digests with the prefix.
    return Throttle.objects.filter(
        scope=bucket.scope, key_digest__gte=prefix, key_digest__lt=prefix + "g"
    ).delete()[0]


def group_locked_until(bucket: Bucket, group: str, *, now: datetime | None = None):
    """When the last lock of a pair (group, …) ends, or None when none is locked."""
    prefix = _group_digest(bucket, group)
    return (
        Throttle.objects.filter(
            scope=bucket.scope,
            key_digest__gte=prefix,
            key_digest__lt=prefix + "g",
            locked_until__gt=now or timezone.now(),
        )
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )


def is_locked(bucket: Bucket, key: Key, *, now: datetime | None = None) -> bool:
    return locked_until(bucket, key, now=now) is not None


def locked_until(bucket: Bucket, key: Key, *, now: datetime | None = None):
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


def remaining(bucket: Bucket, key: Key, *, now: datetime | None = None) -> int:
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


def _bump(bucket: Bucket, key: Key, *, now: datetime) -> tuple[bool, bool]:
    """(was locked, is locked) around counting one more, under the row's lock."""
    digest = key_digest(bucket, key)
    with transaction.atomic():
        row = _row_for_update(bucket, digest, now)
        if row.locked_until and row.locked_until > now:
            return True, True
        if bucket.first_wait is not None:
            _slow_down(bucket, row, now)
        else:
            if row.window_started_at <= now - bucket.period or row.locked_until:
                # The old window (or an expired lock) is over: count afresh.
                row.count = 0
                row.window_started_at = now
                row.locked_until = None
            row.count += 1
            if row.count >= bucket.limit:
                row.locked_until = now + bucket.period
        row.save(update_fields=["count", "window_started_at", "locked_until"])
        return False, row.locked_until is not None


def _slow_down(bucket: Bucket, row: Throttle, now: datetime) -> None:
    # The window slides: it starts again at every failure.
    if row.window_started_at <= now - bucket.period:
        row.count = 0
    row.count += 1
    row.window_started_at = now
    row.locked_until = (
        now + bucket.wait_after(row.count) if row.count >= bucket.limit else None
    )


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
