"""Verify caller: a CSR checks the PIN or security answer a caller gives.

The answer is match or no match, nothing more; no secret is ever shown, stored or
written to the audit log. At most 5 tries per subscriber an hour (the sixth is
refused without checking), and every try is audited with its outcome.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.errors import Conflict, ValidationFailed
from csrtool.onboarding import hashing
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.partners.access import Actor
from csrtool.subscribers.models import Subscriber
from csrtool.subscribers.services import get_subscriber

METHODS = {"pin": "PIN", "answer": "security answer"}
MATCH, NO_MATCH, REFUSED = "match", "no_match", "refused"


@dataclass(frozen=True)
class Verification:
    outcome: str
    method: str
    tries_left: int
    retry_at: datetime | None = None

    @property
    def matched(self) -> bool:
        return self.outcome == MATCH


def security_question(*, actor: Actor, subscriber: Subscriber) -> str:
    """The question to ask the caller (never its answer)."""
    actor.require("callers.verify")
    return (
        SubscriberCredentials.objects.for_actor(actor)
        .filter(subscriber=subscriber)
        .values_list("security_question", flat=True)
        .first()
        or ""
    )


def tries_left(*, actor: Actor, subscriber: Subscriber, now=None) -> int:
    actor.require("callers.verify")
    return throttle.remaining(throttle.VERIFY_CALLER, subscriber.public_id, now=now)


def verify_caller(
    *, actor: Actor, public_id: str, method: str, value: str, now=None
) -> Verification:
    """Compare what the caller said with the subscriber's PIN or security answer."""
    actor.require("callers.verify")
    now = now or timezone.now()
    if method not in METHODS:
        raise ValidationFailed({"method": ["Choose the PIN or the security answer."]})
    value = str(value or "")
    if not value.strip():
        raise ValidationFailed(
            {"value": [f"Type the {METHODS[method]} the caller gives."]}
        )
    bucket = throttle.VERIFY_CALLER
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        key = subscriber.public_id
        credentials = SubscriberCredentials.objects.filter(
            subscriber=subscriber
        ).first()
        if credentials is None:
            raise Conflict(
                "This subscriber has not set a PIN or security answer yet: the "
                "welcome email's setup is not finished.",
                code="no_credentials",
            )
        if not throttle.allow(bucket, key, now=now):
            record(
                actor=actor,
                action="subscriber.caller_verification",
                target=subscriber,
                after={"method": method},
                outcome=REFUSED,
                reason="More than 5 tries in an hour.",
            )
            return Verification(
                REFUSED, method, 0, throttle.locked_until(bucket, key, now=now)
            )
    # Argon2 takes a while on purpose: check outside the transaction.
    if method == "pin":
        matched = hashing.check_pin(credentials.pin_hash, value)
    else:
        matched = hashing.check_answer(credentials.security_answer_hash, value)
    outcome = MATCH if matched else NO_MATCH
    with transaction.atomic():
        record(
            actor=actor,
            action="subscriber.caller_verification",
            target=subscriber,
            after={"method": method},
            outcome=outcome,
        )
    return Verification(outcome, method, throttle.remaining(bucket, key, now=now))
