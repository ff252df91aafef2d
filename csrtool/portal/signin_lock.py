"""A subscriber's portal sign-in lock, as staff see and lift it.

Failed sign-ins (or wrong current passwords, or wrong reset answers) lock the
account on the address they came from, and slow the account down everywhere
(SECURITY.md). A CSR sees until when sign-in is held back and may lift it early,
with a reason. Only the account's own locks are shown or lifted: locks counted
per client IP alone may belong to anyone behind that address, so they stay out
of reach.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.errors import Conflict, NotFound, ValidationFailed
from csrtool.partners.access import Actor
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import get_subscriber
from csrtool.timezones import rfc3339

REASON_MAX_LENGTH = 500


def sign_in_locked_until(
    *, actor: Actor, subscriber: Subscriber, now: datetime | None = None
) -> datetime | None:
    """When the subscriber's portal sign-in opens again, or None when it is open."""
    actor.require("subscribers.view")
    if not actor.is_operator and subscriber.partner_id != actor.partner.pk:
        raise NotFound("No such subscriber.", field="subscriber_id")
    return _held_until(subscriber.email_canonical, now=now)


def _held_until(canonical: str, *, now=None) -> datetime | None:
    """The later of the account's wait and its last locked address."""
    times = [
        throttle.locked_until(throttle.LOGIN_ACCOUNT, canonical, now=now),
        throttle.group_locked_until(throttle.LOGIN_PAIR, canonical, now=now),
    ]
    return max((t for t in times if t is not None), default=None)


def sign_in_lock(
    *, actor: Actor, public_id: str, now: datetime | None = None
) -> tuple[Subscriber, datetime | None]:
    """The subscriber (of the actor's partner) and until when sign-in is locked."""
    subscriber = get_subscriber(actor=actor, public_id=public_id)
    return subscriber, sign_in_locked_until(actor=actor, subscriber=subscriber, now=now)


def unlock_sign_in(
    *, actor: Actor, public_id: str, reason: str, now: datetime | None = None
) -> datetime:
    """Lift the subscriber's sign-in lock now; returns until when it would have held.

    The failure counts start afresh, on every address.
    """
    actor.require("subscribers.change")
    now = now or timezone.now()
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationFailed(
            {"reason": ["Say why sign-in is unlocked (e.g. the caller was verified)."]}
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            {"reason": [f"Keep the reason under {REASON_MAX_LENGTH} characters."]}
        )
    with transaction.atomic():
        # The subscriber's row lock makes two CSRs unlocking at once take turns.
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        key = subscriber.email_canonical
        until = _held_until(key, now=now)
        if until is None:
            raise Conflict(
                "Portal sign-in is not locked for this account (any more): "
                "there is nothing to unlock.",
                code="not_locked",
            )
        throttle.reset(throttle.LOGIN_ACCOUNT, key)
        throttle.reset_group(throttle.LOGIN_PAIR, key)
        record(
            actor=actor,
            action="portal.sign_in_unlocked",
            target=subscriber,
            before={"sign_in_locked_until": rfc3339(until)},
            after={"sign_in_locked_until": None},
            reason=reason,
        )
    return until
