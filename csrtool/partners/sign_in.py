"""Staff sign-in protection (SECURITY.md): nobody can lock a member of staff out.

- django-axes locks the pair (account, client address) after LOGIN_LOCK_FAILURES
  failures, for LOGIN_LOCK_MINUTES: whoever guesses from one address is stopped
  there, and the owner elsewhere signs in as usual.
- The client address is locked for every account after LOGIN_ADDRESS_FAILURES
  failures (password spraying); the counter is the portal's, so one address is
  throttled however it tries.
- An account failing from many addresses is slowed down: each failure past
  LOGIN_SLOWDOWN_AFTER makes the next try wait, doubling up to a maximum.

A refused try is neither checked nor counted, so trying on stretches nothing. A
partner admin lets a member of staff in again at once (`clear_sign_in`).

The counters live in the portal's throttle table, the one rate limiter of the
product: it sits with the portal for historical reasons, not as a layer above.
"""

from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.errors import Conflict
from csrtool.partners.access import Actor
from csrtool.partners.models import User
from csrtool.partners.services import get_staff
from csrtool.timezones import rfc3339

PAUSED = (
    "Too many failed attempts: signing in with this address is paused for a few "
    "minutes. Try again later, or ask your partner admin to let you in."
)


def refused(*, request, canonical: str, source_ip: str, now=None) -> bool:
    """Whether this sign-in may not even be checked now."""
    now = now or timezone.now()
    return (
        throttle.is_locked(throttle.STAFF_LOGIN_ACCOUNT, canonical, now=now)
        or (
            bool(source_ip)
            and throttle.is_locked(throttle.LOGIN_IP, source_ip, now=now)
        )
        or AxesProxyHandler.is_locked(request, {"username": canonical})
    )


def spend_equal_time(password: str) -> None:
    """Hash once, as checking a password would, so a refusal answers as late."""
    make_password(password)


def count_failure(*, canonical: str, source_ip: str, now=None) -> datetime | None:
    """Count a failed sign-in against the address and the account; returns until
    when the account now waits, if it does. (django-axes counts the pair.)"""
    now = now or timezone.now()
    with transaction.atomic():
        if source_ip:
            throttle.fail(throttle.LOGIN_IP, source_ip, now=now)
        if throttle.fail(throttle.STAFF_LOGIN_ACCOUNT, canonical, now=now):
            return throttle.locked_until(
                throttle.STAFF_LOGIN_ACCOUNT, canonical, now=now
            )
    return None


def held_until(user: User, *, now=None) -> datetime | None:
    """Until when the account waits, or None: what a partner admin sees."""
    return throttle.locked_until(
        throttle.STAFF_LOGIN_ACCOUNT, user.email_canonical, now=now
    )


def has_failures(user: User) -> bool:
    from axes.models import AccessAttempt

    return (
        throttle.remaining(throttle.STAFF_LOGIN_ACCOUNT, user.email_canonical)
        < throttle.STAFF_LOGIN_ACCOUNT.limit
        or AccessAttempt.objects.filter(username=user.email_canonical).exists()
    )


def forget_failures(user: User) -> int:
    """The account's wait and its locks on every address end."""
    throttle.reset(throttle.STAFF_LOGIN_ACCOUNT, user.email_canonical)
    return axes_reset(username=user.email_canonical)


def clear_sign_in(*, actor: Actor, staff_id) -> User:
    """A partner admin lets a member of staff sign in again at once."""
    actor.require("staff.manage")
    with transaction.atomic():
        user = get_staff(actor=actor, staff_id=staff_id)
        if not has_failures(user):
            raise Conflict(
                "This member of staff has no failed sign-ins to clear.",
                code="not_locked",
            )
        until = held_until(user)
        forget_failures(user)
        record(
            actor=actor,
            action="staff.sign_in_cleared",
            target=user,
            partner=user.partner,
            before={"sign_in_held_until": rfc3339(until) if until else None},
            after={"sign_in_held_until": None},
        )
    return user
