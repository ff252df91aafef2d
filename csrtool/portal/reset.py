"""Forgot password: an emailed link first, then the security answer, then a new
password. The security question is never enough on its own, and nothing here
tells anyone whether an address has an account.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.errors import Conflict, ValidationFailed
from csrtool.onboarding import hashing, links, policy
from csrtool.onboarding.models import (
    EmailKind,
    EmailLink,
    LinkPurpose,
    OutboundEmail,
    SubscriberCredentials,
)
from csrtool.onboarding.services import (
    LinkUnusable,
    enqueue_email,
    issue_link,
    usable_link,
)
from csrtool.partners.access import Actor
from csrtool.portal import auth
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import get_subscriber
from csrtool.validation import canonical_email

# A reset link is a key to the account: short-lived (at most an hour, R-15).
RESET_LINK_LIFETIME = timedelta(minutes=60)

WRONG_ANSWER = gettext_noop(
    "That answer does not match. After too many attempts, resetting is paused "
    "for a while."
)


def _issue_reset(
    *, actor: Actor, subscriber: Subscriber, now: datetime, reason: str
) -> OutboundEmail:
    """Revoke older reset links, issue a new one and queue its email."""
    _, email = issue_link(
        actor=actor,
        subscriber=subscriber,
        purpose=LinkPurpose.PASSWORD_RESET,
        kind=EmailKind.PASSWORD_RESET,
        lifetime=RESET_LINK_LIFETIME,
        now=now,
        action="portal.password_reset_email_queued",
        reason=reason,
    )
    return email


def request_password_reset(
    *, email: str, source_ip: str = "", request_id: str = "", now=None
) -> None:
    """ "Email me a link": the same (silent) outcome for every address.

    The request counts against the limits and queues a job either way; the job
    looks the address up (`answer_reset_request`), so a known and an unknown
    address cost the request the same queries and the same job.
    """
    from csrtool.portal.tasks import answer_reset_request

    now = now or timezone.now()
    canonical = canonical_email(email)
    with transaction.atomic():
        if source_ip and not throttle.allow(
            throttle.RESET_REQUEST_IP, source_ip, now=now
        ):
            return
        if not throttle.allow(throttle.RESET_REQUEST_ACCOUNT, canonical, now=now):
            return
        answer_reset_request.enqueue(canonical, source_ip, request_id)


def answer_reset_request(
    *, canonical: str, source_ip: str = "", request_id: str = "", now=None
) -> bool:
    """Send a reset link if `canonical` is an active account; runs in the worker."""
    now = now or timezone.now()
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update()
            .select_related("partner")
            .filter(
                email_canonical=canonical,
                status=Status.ACTIVE,
                partner__is_active=True,
                credentials__isnull=False,
            )
            .first()
        )
        if subscriber is None:
            return False
        actor = auth.subscriber_actor(
            subscriber, source_ip=source_ip or None, request_id=request_id
        )
        _issue_reset(
            actor=actor,
            subscriber=subscriber,
            now=now,
            reason="Requested from the sign-in page",
        )
    return True


def send_password_reset(*, actor: Actor, public_id: str, now=None) -> OutboundEmail:
    """A CSR sends the subscriber a reset link; the CSR never sees or sets a secret."""
    actor.require("subscribers.change")
    now = now or timezone.now()
    with transaction.atomic():
        subscriber = get_subscriber(actor=actor, public_id=public_id, for_update=True)
        if subscriber.status != Status.ACTIVE:
            raise Conflict(
                "A password-reset email can only be sent to an active account; "
                f"this one is {subscriber.get_status_display().lower()}."
                + (
                    " Resend the welcome email instead."
                    if subscriber.status == Status.PENDING_ACTIVATION
                    else ""
                ),
                code="not_active",
            )
        return _issue_reset(
            actor=actor, subscriber=subscriber, now=now, reason="Sent by staff"
        )


def find_reset_link(token: str, *, now=None) -> EmailLink:
    """The usable reset link for `token`, or LinkUnusable (all failures look alike)."""
    link = (
        EmailLink.objects.filter(
            token_hash=links.token_hash(token), purpose=LinkPurpose.PASSWORD_RESET
        )
        .select_related("subscriber__partner")
        .first()
    )
    return _usable(link, now=now)


def reset_link(link_id: int, *, now=None) -> EmailLink:
    link = (
        EmailLink.objects.filter(pk=link_id, purpose=LinkPurpose.PASSWORD_RESET)
        .select_related("subscriber__partner")
        .first()
    )
    return _usable(link, now=now)


def _usable(link: EmailLink | None, *, now=None) -> EmailLink:
    return usable_link(link, account_status=Status.ACTIVE, now=now)


def check_reset_answer(
    *, link_id: int, answer: str, source_ip: str = "", request_id: str = "", now=None
) -> EmailLink:
    """The second factor. A wrong answer counts toward the login lockout."""
    now = now or timezone.now()
    link = reset_link(link_id, now=now)
    subscriber = link.subscriber
    credentials = SubscriberCredentials.objects.get(subscriber=subscriber)
    locked = auth.sign_in_refused(
        canonical=subscriber.email_canonical, source_ip=source_ip, now=now
    )
    if locked:
        auth.spend_equal_time(answer)
        raise ValidationFailed({"answer": [gettext(WRONG_ANSWER)]})
    if not hashing.check_answer(credentials.security_answer_hash, answer):
        auth.register_failure(
            subscriber=subscriber,
            canonical=subscriber.email_canonical,
            source_ip=source_ip,
            request_id=request_id,
            action="portal.password_reset_answer",
            now=now,
        )
        raise ValidationFailed({"answer": [gettext(WRONG_ANSWER)]})
    return link


def complete_password_reset(
    *,
    link_id: int,
    new_password: str,
    source_ip: str = "",
    request_id: str = "",
    now=None,
) -> Subscriber:
    """Set the new password and use up the link, exactly once."""
    now = now or timezone.now()
    link = reset_link(link_id, now=now)
    subscriber = link.subscriber
    problems = policy.password_problems(new_password, subscriber=subscriber)
    if problems:
        raise ValidationFailed({"new_password": problems})
    new_hash = hashing.hash_password(new_password)
    actor = auth.subscriber_actor(
        subscriber, source_ip=source_ip, request_id=request_id
    )
    with transaction.atomic():
        consumed = EmailLink.objects.filter(
            pk=link.pk,
            consumed_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).update(consumed_at=now)
        if consumed != 1:
            raise LinkUnusable("used")
        SubscriberCredentials.objects.filter(subscriber=subscriber).update(
            password_hash=new_hash, password_changed_at=now
        )
        EmailLink.objects.filter(
            subscriber=subscriber,
            purpose=LinkPurpose.PASSWORD_RESET,
            consumed_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=now)
        record(actor=actor, action="portal.password_reset", target=subscriber)
        enqueue_email(
            subscriber=subscriber,
            kind=EmailKind.PASSWORD_CHANGED,
            actor=actor,
        )
    # The mailbox and the answer proved who this is: the account may sign in again.
    auth.forget_failures(subscriber.email_canonical)
    return subscriber
