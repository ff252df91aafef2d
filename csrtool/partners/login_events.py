"""Staff sign-in, sign-out and failed sign-ins, in the audit log.

Django announces these through its auth signals, whichever view signed the user in;
they are the one place to hear about them.
"""

import time

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from csrtool import throttle
from csrtool.audit.services import record
from csrtool.partners import sign_in
from csrtool.partners.access import Actor, staff_actor
from csrtool.partners.models import User
from csrtool.timezones import rfc3339
from csrtool.validation import canonical_email

SESSION_LOGIN_AT = "staff_login_at"


def _actor(user, request) -> Actor:
    return staff_actor(
        user,
        source_ip=request.META.get("REMOTE_ADDR") if request else None,
        request_id=getattr(request, "request_id", "") if request else "",
    )


@receiver(user_logged_in)
def staff_signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LOGIN_AT] = int(time.time())
    # The owner proved who they are: the account's slow-down ends.
    throttle.reset(throttle.STAFF_LOGIN_ACCOUNT, user.email_canonical)
    record(actor=_actor(user, request), action="staff.login", target=user)


@receiver(user_logged_out)
def staff_signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(actor=_actor(user, request), action="staff.logout", target=user)


@receiver(user_login_failed)
def staff_sign_in_failed(sender, credentials, request=None, **kwargs):
    """Recorded against the account when the address is a member of staff's; a
    typed address that matches nobody is not kept (it may be a mistyped password)."""
    canonical = canonical_email(credentials.get("username", ""))
    source_ip = (request.META.get("REMOTE_ADDR") or "") if request else ""
    held_until = sign_in.count_failure(canonical=canonical, source_ip=source_ip)
    user = (
        User.objects.select_related("partner").filter(email_canonical=canonical).first()
    )
    if user is None:
        actor = Actor(
            kind="anonymous",
            label="anonymous",
            role="",
            partner=None,
            source_ip=request.META.get("REMOTE_ADDR") if request else None,
            request_id=getattr(request, "request_id", "") if request else "",
        )
        record(actor=actor, action="staff.login_failed", outcome="failure")
        return
    record(
        actor=_actor(user, request),
        action="staff.login_failed",
        target=user,
        outcome="failure",
    )
    if held_until is not None:
        record(
            actor=_actor(user, request),
            action="staff.sign_in_slowed",
            target=user,
            outcome="refused",
            reason="Too many failed sign-ins; the next try is checked after "
            f"{rfc3339(held_until)}.",
        )
