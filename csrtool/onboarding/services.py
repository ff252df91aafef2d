"""Every write of onboarding: welcome emails, links, activation."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from csrtool import throttle
from csrtool.audit.services import record, record_many
from csrtool.errors import Conflict, DomainError, ValidationFailed
from csrtool.onboarding import emails, hashing, links, policy
from csrtool.onboarding.models import (
    EmailKind,
    EmailLink,
    LinkPurpose,
    OutboundEmail,
    SubscriberCredentials,
)
from csrtool.onboarding.tasks import deliver_email, deliver_emails
from csrtool.partners.access import Actor, subscriber_actor
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import correct_login_email, get_subscriber
from csrtool.timezones import rfc3339


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"


class LinkUnusable(Conflict):
    """The link is unknown, used, revoked or expired: all look alike to its holder."""

    code = "link_unusable"

    def __init__(self, state: str = "invalid"):
        super().__init__(
            gettext("This link can no longer be used. Ask for a new one below."),
            code="link_unusable",
        )
        self.state = state


def _new_email(
    *,
    subscriber: Subscriber,
    kind: str,
    actor: Actor,
    recipient: str | None = None,
    link: EmailLink | None = None,
    link_seed: str = "",
    context: dict | None = None,
    send_at: datetime | None = None,
) -> OutboundEmail:
    """An outbox email, not yet saved."""
    partner = subscriber.partner
    return OutboundEmail(
        partner=partner,
        subscriber=subscriber,
        kind=kind,
        recipient=recipient or subscriber.email,
        subject=emails.render_subject(
            kind, subscriber=subscriber, partner=partner, context=context
        ),
        message_id=emails.new_message_id(partner),
        link=link,
        link_seed=link_seed,
        context=context or {},
        created_by=actor.label[:300],
        **({"next_attempt_at": send_at} if send_at else {}),
    )


def enqueue_email(
    *,
    subscriber: Subscriber,
    kind: str,
    actor: Actor,
    recipient: str | None = None,
    link: EmailLink | None = None,
    link_seed: str = "",
    context: dict | None = None,
    send_at: datetime | None = None,
) -> OutboundEmail:
    """Put an email in the outbox and enqueue its delivery job, in the caller's
    transaction: both commit with the change that caused them, or neither does.

    `send_at` holds it back until then (the pace of a bulk import's invitations).
    """
    with transaction.atomic():
        email = _new_email(
            subscriber=subscriber,
            kind=kind,
            actor=actor,
            recipient=recipient,
            link=link,
            link_seed=link_seed,
            context=context,
            send_at=send_at,
        )
        email.save()
        if send_at:
            deliver_email.using(run_after=send_at).enqueue(email.pk)
        else:
            deliver_email.enqueue(email.pk)
    return email


def _new_link(*, subscriber, purpose, lifetime, now) -> tuple[EmailLink, str]:
    """A link, not yet saved, and the seed its email rebuilds the token from."""
    seed = links.new_seed()
    link = EmailLink(
        subscriber=subscriber,
        purpose=purpose,
        token_hash=links.token_hash(links.token_from_seed(seed)),
        created_at=now,
        expires_at=now + lifetime,
    )
    return link, seed


def issue_link(
    *,
    actor: Actor,
    subscriber: Subscriber,
    purpose: str,
    kind: str,
    lifetime: timedelta,
    now: datetime,
    action: str,
    reason: str = "",
    recipient: str | None = None,
    context: dict | None = None,
    send_at: datetime | None = None,
) -> tuple[EmailLink, OutboundEmail]:
    """Revoke the subscriber's open links of `purpose`, issue a new one, queue the
    email carrying it and audit that as `action`."""
    revoked = EmailLink.objects.filter(
        subscriber=subscriber,
        purpose=purpose,
        consumed_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    link, seed = _new_link(
        subscriber=subscriber, purpose=purpose, lifetime=lifetime, now=now
    )
    link.save()
    email = enqueue_email(
        subscriber=subscriber,
        kind=kind,
        actor=actor,
        recipient=recipient,
        link=link,
        link_seed=seed,
        context=context,
        send_at=send_at,
    )
    record(
        actor=actor,
        action=action,
        target=subscriber,
        after={
            "recipient": email.recipient,
            "link_expires_at": rfc3339(link.expires_at),
            "older_links_revoked": revoked,
        },
        reason=reason,
    )
    return link, email


def _issue_welcome(
    *, actor: Actor, subscriber: Subscriber, now: datetime, reason="", send_at=None
):
    """Revoke older welcome links, issue a new one and queue its email."""
    _, email = issue_link(
        actor=actor,
        subscriber=subscriber,
        purpose=LinkPurpose.WELCOME,
        kind=EmailKind.WELCOME,
        lifetime=timedelta(hours=subscriber.partner.link_expiry_hours),
        now=now,
        action="onboarding.welcome_email_queued",
        reason=reason,
        send_at=send_at,
    )
    return email


def send_welcome(
    *,
    actor: Actor,
    subscriber: Subscriber,
    now: datetime | None = None,
    send_at: datetime | None = None,
) -> OutboundEmail:
    """Queue the first welcome email of a new subscriber (inside create_subscriber,
    or a bulk import's invitations, held back until `send_at`). The link's
    lifetime counts from when the email goes out."""
    actor.require("subscribers.add")
    now = now or timezone.now()
    with transaction.atomic():
        return _issue_welcome(
            actor=actor,
            subscriber=subscriber,
            now=max(now, send_at) if send_at else now,
            send_at=send_at,
        )


def welcome_new_subscriber(
    *, actor: Actor, subscriber: Subscriber, welcome: bool, welcome_at=None
) -> None:
    """A new account's first welcome email (create_subscriber's step, see
    subscribers/hooks.py); none for a bulk import's "invite later"."""
    if welcome:
        send_welcome(actor=actor, subscriber=subscriber, send_at=welcome_at)


def welcome_new_subscribers(
    *, actor: Actor, subscribers: list[Subscriber], welcome: bool, welcome_at=None
) -> None:
    """The first welcome emails of many new accounts at once (a bulk import; see
    subscribers/hooks.py): what `send_welcome` does for each, with one INSERT per
    table. `welcome_at` holds each back until its own moment (a list in the
    order of `subscribers`). New accounts have no older link to revoke."""
    if not welcome or not subscribers:
        return
    now = timezone.now()
    moments = welcome_at or [None] * len(subscribers)
    made = []
    for subscriber, send_at in zip(subscribers, moments, strict=True):
        link, seed = _new_link(
            subscriber=subscriber,
            purpose=LinkPurpose.WELCOME,
            lifetime=timedelta(hours=subscriber.partner.link_expiry_hours),
            now=max(now, send_at) if send_at else now,
        )
        made.append((subscriber, link, seed, send_at))
    EmailLink.objects.bulk_create([link for _, link, _, _ in made])
    outbox = [
        _new_email(
            subscriber=subscriber,
            kind=EmailKind.WELCOME,
            actor=actor,
            link=link,
            link_seed=seed,
            send_at=send_at,
        )
        for subscriber, link, seed, send_at in made
    ]
    OutboundEmail.objects.bulk_create(outbox)
    deliver_emails(outbox)
    record_many(
        actor=actor,
        changes=[
            {
                "action": "onboarding.welcome_email_queued",
                "target": subscriber,
                "after": {
                    "recipient": email.recipient,
                    "link_expires_at": rfc3339(link.expires_at),
                    "older_links_revoked": 0,
                },
            }
            for (subscriber, link, _, _), email in zip(made, outbox, strict=True)
        ],
    )


def resend_welcome(
    *, actor: Actor, public_id: str, email=None, now: datetime | None = None
) -> OutboundEmail:
    """A CSR sends the welcome email again; every older link stops working.

    With `email`, the login email is corrected first (a mistyped address the
    mail server refused), in the same transaction: one action, all or nothing."""
    actor.require("subscribers.change")
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        if subscriber.status != Status.PENDING_ACTIVATION:
            raise Conflict(
                "The welcome email can only be resent while the account is pending "
                f"activation; it is {subscriber.get_status_display().lower()}.",
                code="not_pending_activation",
            )
        reason = "Resent by staff"
        if email is not None and correct_login_email(
            actor=actor, subscriber=subscriber, email=email
        ):
            reason = "Resent by staff to the corrected login email"
        return _issue_welcome(
            actor=actor,
            subscriber=subscriber,
            now=now or timezone.now(),
            reason=reason,
        )


def request_new_link(
    *, email: str, source_ip: str | None = None, now: datetime | None = None
) -> None:
    """ "Email me a new link": answers nothing about whether the address exists.

    The request only counts against the limits and queues a job; the job looks the
    address up (`answer_new_link_request`). A known and an unknown address so cost
    the request the same queries and the same job.
    """
    from csrtool.onboarding.tasks import answer_new_link_request
    from csrtool.validation import canonical_email

    now = now or timezone.now()
    canonical = canonical_email(email)
    with transaction.atomic():
        if source_ip and not throttle.allow(throttle.NEW_LINK_IP, source_ip, now=now):
            raise TooManyRequests(
                gettext("Too many requests from your network. Try again in an hour.")
            )
        if not throttle.allow(throttle.NEW_LINK_ADDRESS, canonical, now=now):
            # Same answer as for an unknown address: nothing is revealed.
            return
        answer_new_link_request.enqueue(canonical, source_ip or "")


def answer_new_link_request(
    *, canonical: str, source_ip: str = "", now: datetime | None = None
) -> bool:
    """Send a new welcome link if `canonical` is an account waiting for activation.

    Runs in the worker; True when an email was queued.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .select_related("partner")
            .filter(
                email_canonical=canonical,
                status=Status.PENDING_ACTIVATION,
                partner__is_active=True,
            )
            .first()
        )
        if subscriber is None:
            return False
        actor = subscriber_actor(subscriber, source_ip=source_ip or None)
        _issue_welcome(
            actor=actor,
            subscriber=subscriber,
            now=now,
            reason="Requested by the subscriber from an expired or used link",
        )
    return True


def find_link(token: str, *, now: datetime | None = None) -> EmailLink:
    """The usable welcome link for `token`, or LinkUnusable saying why."""
    now = now or timezone.now()
    link = (
        EmailLink.objects.select_related("subscriber__partner")
        .filter(token_hash=links.token_hash(token), purpose=LinkPurpose.WELCOME)
        .first()
    )
    return usable_link(link, account_status=Status.PENDING_ACTIVATION, now=now)


def usable_link(
    link: EmailLink | None, *, account_status: str, now: datetime | None = None
) -> EmailLink:
    """The link itself, or LinkUnusable saying why: unknown, used, revoked, expired,
    or meant for an account that is no longer in `account_status`."""
    if link is None:
        raise LinkUnusable("unknown")
    state = link.state(now=now or timezone.now())
    if state != "valid":
        raise LinkUnusable(state)
    if link.subscriber.status != account_status:
        raise LinkUnusable("used")
    return link


def complete_onboarding(
    *,
    token: str,
    password: str,
    password_confirm: str,
    pin: str,
    pin_confirm: str,
    question: str,
    own_question: str = "",
    answer: str,
    source_ip: str | None = None,
    request_id: str = "",
    now: datetime | None = None,
) -> Subscriber:
    """The subscriber sets password, PIN and security question in one step.

    Only this consumes the link (opening it does not), exactly once: a conditional
    UPDATE on consumed_at decides between two simultaneous submits.
    """
    now = now or timezone.now()
    link = find_link(token, now=now)
    subscriber = link.subscriber
    errors: dict[str, list[str]] = {}
    problems = policy.password_problems(password, subscriber=subscriber)
    if problems:
        errors["password"] = problems
    elif password != password_confirm:
        errors["password_confirm"] = [gettext("The two passwords do not match.")]
    problems = policy.pin_problems(pin)
    if problems:
        errors["pin"] = problems
    elif pin != pin_confirm:
        errors["pin_confirm"] = [gettext("The two PINs do not match.")]
    question_text = ""
    try:
        question_text = policy.clean_question(question, own_question)
    except ValueError as e:
        field = "own_question" if question == policy.OWN_QUESTION else "question"
        errors[field] = [str(e)]
    problems = policy.answer_problems(answer, question=question_text)
    if problems:
        errors["answer"] = problems
    if errors:
        raise ValidationFailed(errors)
    # Argon2 is slow on purpose: hash before taking the write lock.
    hashes = {
        "password_hash": hashing.hash_password(password),
        "pin_hash": hashing.hash_pin(pin),
        "security_answer_hash": hashing.hash_answer(answer),
    }
    actor = subscriber_actor(subscriber, source_ip=source_ip, request_id=request_id)
    try:
        with transaction.atomic():
            consumed = EmailLink.objects.filter(
                pk=link.pk,
                consumed_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(consumed_at=now)
            if consumed != 1:
                raise LinkUnusable("used")
            activated = Subscriber.objects.filter(
                pk=subscriber.pk, status=Status.PENDING_ACTIVATION
            ).update(status=Status.ACTIVE, activated_at=now, updated_at=now)
            if activated != 1:
                raise LinkUnusable("used")
            SubscriberCredentials.objects.create(
                subscriber=subscriber,
                security_question=question_text,
                created_at=now,
                password_changed_at=now,
                pin_changed_at=now,
                security_answer_changed_at=now,
                **hashes,
            )
            EmailLink.objects.filter(
                subscriber=subscriber,
                purpose=LinkPurpose.WELCOME,
                consumed_at__isnull=True,
                revoked_at__isnull=True,
            ).update(revoked_at=now)
            record(
                actor=actor,
                action="subscriber.activated",
                target=subscriber,
                before={"status": Status.PENDING_ACTIVATION},
                after={
                    "status": Status.ACTIVE,
                    "security_question": question_text,
                    "password": "set",
                    "pin": "set",
                    "answer": "set",
                },
            )
    except IntegrityError:
        raise LinkUnusable("used") from None
    subscriber.refresh_from_db()
    return subscriber


def email_history(*, actor: Actor, public_id: str):
    """The emails sent to a subscriber, newest first, for the CSR."""
    subscriber = get_subscriber(actor=actor, public_id=public_id)
    return subscriber, list(
        OutboundEmail.objects.for_actor(actor)
        .filter(subscriber=subscriber)
        .newest_first()
    )
