"""Every change a subscriber makes to their own account: one transaction each,
audited as the subscriber through the portal, never with a secret in the row.

Subscribers hold no staff permission; each service checks instead that the actor
is the subscriber being changed. Changing a secret asks for the current password,
and a wrong one counts toward the login lockout like a failed sign-in.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import DomainError, PermissionDenied, ValidationFailed
from csrtool.onboarding import hashing, policy
from csrtool.onboarding.models import EmailKind, SubscriberCredentials
from csrtool.onboarding.services import enqueue_email
from csrtool.partners.access import Actor
from csrtool.portal import auth
from csrtool.subscribers.models import Status, Subscriber

NOT_CURRENT = gettext_noop("That is not your current password.")


def _require_self(actor: Actor, subscriber: Subscriber) -> None:
    if (
        actor.kind != "subscriber"
        or actor.partner is None
        or actor.partner.pk != subscriber.partner_id
        or actor.label != subscriber.email
    ):
        raise PermissionDenied(gettext("Only the account holder can change this."))


def _locked_credentials(actor: Actor, subscriber: Subscriber):
    """The subscriber's row and credentials, locked for this transaction."""
    _require_self(actor, subscriber)
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if subscriber.status != Status.ACTIVE:
        raise DomainError(gettext("This account cannot be changed right now."))
    credentials = SubscriberCredentials.objects.select_for_update().get(
        subscriber=subscriber
    )
    return subscriber, credentials


def check_current_password(
    *, actor: Actor, subscriber: Subscriber, password: str, now=None
) -> None:
    """Raise a field error unless `password` is the subscriber's current one."""
    now = now or timezone.now()
    credentials = SubscriberCredentials.objects.get(subscriber=subscriber)
    locked = auth.sign_in_refused(
        canonical=subscriber.email_canonical,
        source_ip=actor.source_ip or "",
        now=now,
    )
    if locked:
        auth.spend_equal_time(password)
        raise ValidationFailed({"current_password": [gettext(NOT_CURRENT)]})
    if not hashing.check_password(credentials.password_hash, password):
        # Counted in its own transaction: the refusal below rolls nothing back.
        auth.register_failure(
            subscriber=subscriber,
            canonical=subscriber.email_canonical,
            source_ip=actor.source_ip or "",
            request_id=actor.request_id,
            action="portal.password_check",
            now=now,
        )
        raise ValidationFailed({"current_password": [gettext(NOT_CURRENT)]})


def _change_own(actor: Actor, subscriber: Subscriber, field: str, clean, value):
    """Set one of the subscriber's own settings, checked by `clean`, audited
    with before and after (nothing happens when it does not change)."""
    try:
        value = clean(value)
    except DomainError as e:
        raise ValidationFailed({field: [e.message]}) from None
    with transaction.atomic():
        subscriber, _ = _locked_credentials(actor, subscriber)
        before = getattr(subscriber, field)
        if before == value:
            return subscriber
        setattr(subscriber, field, value)
        subscriber.updated_at = timezone.now()
        subscriber.save(update_fields=[field, "updated_at"])
        record(
            actor=actor,
            action="subscriber.updated",
            target=subscriber,
            before={field: before},
            after={field: value},
        )
    return subscriber


def change_time_zone(*, actor: Actor, subscriber: Subscriber, time_zone: str):
    """Move the account to another time zone; its date format follows."""
    return _change_own(
        actor, subscriber, "time_zone", validation.clean_time_zone, time_zone
    )


def change_language(*, actor: Actor, subscriber: Subscriber, language: str):
    """The language of the subscriber's pages and emails from now on."""
    return _change_own(
        actor, subscriber, "language", validation.clean_language, language
    )


def change_password(
    *,
    actor: Actor,
    subscriber: Subscriber,
    current_password: str,
    new_password: str,
    now=None,
) -> SubscriberCredentials:
    """Set a new password; every other portal session of the account ends."""
    problems = policy.password_problems(new_password, subscriber=subscriber)
    if problems:
        raise ValidationFailed({"new_password": problems})
    check_current_password(
        actor=actor, subscriber=subscriber, password=current_password, now=now
    )
    new_hash = hashing.hash_password(new_password)
    with transaction.atomic():
        subscriber, credentials = _locked_credentials(actor, subscriber)
        credentials.password_hash = new_hash
        credentials.password_changed_at = timezone.now()
        credentials.save(update_fields=["password_hash", "password_changed_at"])
        record(actor=actor, action="portal.password_changed", target=subscriber)
        enqueue_email(
            subscriber=subscriber,
            kind=EmailKind.PASSWORD_CHANGED,
            actor=actor,
        )
    return credentials


def change_pin(
    *,
    actor: Actor,
    subscriber: Subscriber,
    current_password: str,
    new_pin: str,
    now=None,
) -> SubscriberCredentials:
    """Set a new PIN for the phone, and tell the subscriber by email."""
    problems = policy.pin_problems(new_pin)
    if problems:
        raise ValidationFailed({"new_pin": problems})
    check_current_password(
        actor=actor, subscriber=subscriber, password=current_password, now=now
    )
    new_hash = hashing.hash_pin(new_pin)
    now = now or timezone.now()
    with transaction.atomic():
        subscriber, credentials = _locked_credentials(actor, subscriber)
        credentials.pin_hash = new_hash
        credentials.pin_changed_at = now
        credentials.save(update_fields=["pin_hash", "pin_changed_at"])
        record(actor=actor, action="portal.pin_changed", target=subscriber)
        enqueue_email(
            subscriber=subscriber,
            kind=EmailKind.PIN_CHANGED,
            actor=actor,
            context={"changed_at": now.isoformat()},
        )
    return credentials


def change_security_question(
    *,
    actor: Actor,
    subscriber: Subscriber,
    current_password: str,
    question: str,
    own_question: str = "",
    answer: str,
    now=None,
) -> SubscriberCredentials:
    """Set a new security question and its answer, and tell the subscriber by email."""
    errors: dict[str, list[str]] = {}
    try:
        question_text = policy.clean_question(question, own_question)
    except ValueError as e:
        field = "own_question" if question == policy.OWN_QUESTION else "question"
        errors[field] = [str(e)]
        question_text = ""
    problems = policy.answer_problems(answer, question=question_text)
    if problems:
        errors["answer"] = problems
    if errors:
        raise ValidationFailed(errors)
    check_current_password(
        actor=actor, subscriber=subscriber, password=current_password, now=now
    )
    new_hash = hashing.hash_answer(answer)
    now = now or timezone.now()
    with transaction.atomic():
        subscriber, credentials = _locked_credentials(actor, subscriber)
        before = credentials.security_question
        credentials.security_question = question_text
        credentials.security_answer_hash = new_hash
        credentials.security_answer_changed_at = now
        credentials.save(
            update_fields=[
                "security_question",
                "security_answer_hash",
                "security_answer_changed_at",
            ]
        )
        record(
            actor=actor,
            action="portal.security_question_changed",
            target=subscriber,
            before={"security_question": before},
            after={"security_question": question_text},
        )
        enqueue_email(
            subscriber=subscriber,
            kind=EmailKind.QUESTION_CHANGED,
            actor=actor,
            context={"changed_at": now.isoformat()},
        )
    return credentials
