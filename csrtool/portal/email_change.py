"""Changing the login email: the new address confirms with a link first.

The login changes only when the link is submitted; the unique constraint on
Subscriber.email_canonical settles two accounts racing for one address. Asking
for an address that is taken answers like any other request (the link then
fails to confirm), so the form reveals nothing about other accounts.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError, ValidationFailed
from csrtool.onboarding import links
from csrtool.onboarding.models import EmailKind, EmailLink, LinkPurpose
from csrtool.onboarding.services import (
    LinkUnusable,
    enqueue_email,
    issue_link,
    usable_link,
)
from csrtool.partners.access import Actor
from csrtool.portal import auth, services
from csrtool.portal.models import EmailChange
from csrtool.subscribers.models import Status, Subscriber
from csrtool.subscribers.services import EMAIL_TAKEN
from csrtool.subscribers.services import check_login_free as services_check_login_free

EMAIL_CHANGE_LINK_LIFETIME = timedelta(hours=24)


def request_email_change(
    *,
    actor: Actor,
    subscriber: Subscriber,
    current_password: str,
    new_email: str,
    now: datetime | None = None,
) -> EmailChange:
    """Send a confirmation link to the new address; nothing else changes yet."""
    now = now or timezone.now()
    try:
        address, canonical = validation.clean_email(
            new_email, field="new_email", label=gettext("New login email address")
        )
    except DomainError as e:
        raise ValidationFailed({"new_email": [e.message]}) from None
    if canonical == subscriber.email_canonical:
        raise ValidationFailed(
            {"new_email": [gettext("That is already your login email.")]}
        )
    services.check_current_password(
        actor=actor, subscriber=subscriber, password=current_password, now=now
    )
    with transaction.atomic():
        subscriber, _ = services._locked_credentials(actor, subscriber)
        link, _ = issue_link(
            actor=actor,
            subscriber=subscriber,
            purpose=LinkPurpose.EMAIL_CHANGE,
            kind=EmailKind.EMAIL_CHANGE,
            lifetime=EMAIL_CHANGE_LINK_LIFETIME,
            now=now,
            action="portal.email_change_requested",
            recipient=address,
            context={"old_email": subscriber.email, "new_email": address},
        )
        change = EmailChange.objects.create(
            link=link,
            subscriber=subscriber,
            new_email=address,
            new_email_canonical=canonical,
            created_at=now,
        )
    return change


def find_email_change(token: str, *, now: datetime | None = None) -> EmailChange:
    """The pending change for `token`, or LinkUnusable (all failures look alike)."""
    now = now or timezone.now()
    change = (
        EmailChange.objects.select_related("link", "subscriber__partner")
        .filter(
            link__token_hash=links.token_hash(token),
            link__purpose=LinkPurpose.EMAIL_CHANGE,
        )
        .first()
    )
    if change is None:
        raise LinkUnusable("unknown")
    usable_link(change.link, account_status=Status.ACTIVE, now=now)
    return change


def confirm_email_change(
    *, token: str, source_ip: str = "", request_id: str = "", now=None
) -> Subscriber:
    """Switch the login to the confirmed address and tell the old one."""
    now = now or timezone.now()
    change = find_email_change(token, now=now)
    try:
        with transaction.atomic():
            consumed = EmailLink.objects.filter(
                pk=change.link_id,
                consumed_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(consumed_at=now)
            if consumed != 1:
                raise LinkUnusable("used")
            subscriber = Subscriber.objects.select_for_update().get(
                pk=change.subscriber_id
            )
            try:
                services_check_login_free(change.new_email_canonical)
            except DomainError as e:
                raise Conflict(e.message, field="new_email", code=e.code) from None
            old_email = subscriber.email
            subscriber.email = change.new_email
            subscriber.email_canonical = change.new_email_canonical
            subscriber.updated_at = now
            subscriber.save(update_fields=["email", "email_canonical", "updated_at"])
            actor = auth.subscriber_actor(
                subscriber, source_ip=source_ip, request_id=request_id
            )
            record(
                actor=actor,
                action="subscriber.email_changed",
                target=subscriber,
                before={"email": old_email},
                after={"email": subscriber.email},
            )
            enqueue_email(
                subscriber=subscriber,
                kind=EmailKind.EMAIL_CHANGED,
                actor=actor,
                recipient=old_email,
                context={
                    "old_email": old_email,
                    "new_email": subscriber.email,
                },
            )
    except IntegrityError:
        raise Conflict(EMAIL_TAKEN, field="new_email", code="email_taken") from None
    return subscriber
