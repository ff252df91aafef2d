"""A second factor for staff password sign-ins (SECURITY.md).

An authenticator app (TOTP, RFC 6238), passkeys and security keys (WebAuthn,
csrtool.partners.passkeys) and one-time recovery codes; the first two kept as
django-otp keeps them: a `TOTPDevice` (unconfirmed until a code from the app
proves it was set up) and a `StaticDevice` whose tokens are deleted as they are
used. Codes are checked through django-otp, which refuses a TOTP code of a time
step already used (replay) and makes each device wait longer after every wrong
code; every wrong code also counts against the account and the client address
like a wrong password (csrtool.partners.sign_in).

Who must have one: the platform operator's people always, a partner's staff as
the partner's `second_factor_required_for` says.
"""

import io
import re
from base64 import b32encode, b64encode

import django_otp
import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import Conflict, DomainError, NotFound, PermissionDenied
from csrtool.partners import sign_in
from csrtool.partners.access import Actor
from csrtool.partners.models import Role, SecondFactorPolicy, StaffPasskey, User
from csrtool.partners.services import get_staff

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR = "authenticator app"
PASSKEY = "passkey"
RECOVERY_CODES = "recovery codes"
ONLY_ONE = (
    "A second factor is required for you: you cannot remove your only one. Add "
    "another first, or, to move to a new phone, ask a partner admin to reset it "
    "and set it up again at your next sign-in."
)

WRONG_CODE = "That code is not right. Check the code and try again."
THROTTLED = (
    "Too many wrong codes: wait a few seconds before trying again, or use a "
    "recovery code."
)


def required(user: User) -> bool:
    """Whether this member of staff must pass a second factor to sign in."""
    if user.role == Role.OPERATOR:
        return True
    policy = user.partner.second_factor_required_for if user.partner_id else ""
    if policy == SecondFactorPolicy.ALL_STAFF:
        return True
    return policy == SecondFactorPolicy.PARTNER_ADMINS and (
        user.role == Role.PARTNER_ADMIN
    )


def authenticator(user: User) -> TOTPDevice | None:
    """The member's confirmed authenticator app, if they set one up."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    device = StaticDevice.objects.devices_for_user(user).first()
    return device.token_set.count() if device else 0


def has_passkeys(user: User) -> bool:
    return StaffPasskey.objects.filter(user=user).exists()


def enrolled(user: User) -> bool:
    """Whether the member has a second factor (recovery codes alone are none)."""
    return authenticator(user) is not None or has_passkeys(user)


def methods(user: User) -> list[str]:
    """What the member can sign in with, for pages and the API."""
    found = []
    if authenticator(user) is not None:
        found.append(AUTHENTICATOR)
    passkeys = StaffPasskey.objects.filter(user=user).count()
    if passkeys:
        found.append(f"{passkeys} {PASSKEY}{'s' if passkeys > 1 else ''}")
    if found and recovery_codes_left(user):
        found.append(RECOVERY_CODES)
    return found


def _actor_is(actor: Actor, user: User) -> bool:
    return actor.user is not None and actor.user.pk == user.pk


def start_authenticator(*, user: User) -> TOTPDevice:
    """A new authenticator app's secret, not yet counted: it counts once a code
    from the app confirms it (`confirm_authenticator`)."""
    if authenticator(user) is not None:
        raise Conflict(
            "You already have an authenticator app. Remove it first to set up another.",
            code="already_enrolled",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def pending_authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_code(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code, an SVG data URI for an <img>."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + b64encode(buffer.getvalue()).decode()


def _clean_code(code) -> str:
    return re.sub(r"[\s-]", "", str(code or "")).lower()


def _verify(user: User, device, code: str) -> bool:
    """django-otp's check, the device row locked so one code passes once."""
    return django_otp.verify_token(user, device.persistent_id, code) is not None


def confirm_authenticator(*, actor: Actor, user: User, code) -> list[str] | None:
    """The code from the new app proves it works: the app now counts. Returns
    fresh recovery codes when the member had none."""
    code = _clean_code(code)
    if not code:
        raise DomainError("Enter the 6-digit code from your app.", field="code")
    device = pending_authenticator(user)
    if device is None:
        raise Conflict(
            "Start again: scan the new QR code with your app.", code="not_started"
        )
    if not _verify(user, device, code):
        record_failure(actor, user, method=AUTHENTICATOR, purpose="enrolment")
        raise DomainError(WRONG_CODE, field="code", code="wrong_code")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(
            actor=actor,
            action="staff.second_factor_added",
            target=user,
            after={"method": AUTHENTICATOR},
        )
        return first_recovery_codes(actor, user)


def first_recovery_codes(actor: Actor, user: User) -> list[str] | None:
    """Recovery codes with a member's first second factor; None when they have
    some already."""
    if recovery_codes_left(user):
        return None
    return _new_recovery_codes(actor, user)


def _new_recovery_codes(actor: Actor, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_CODES)
    device.token_set.all().delete()
    codes = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in sorted(codes)
    )
    record(
        actor=actor,
        action="staff.recovery_codes_created",
        target=user,
        after={"recovery_codes": len(codes)},
    )
    return sorted(codes)


def new_recovery_codes(*, actor: Actor) -> list[str]:
    """New recovery codes for the acting member; the old ones stop working."""
    user = actor.user
    if not enrolled(user):
        raise Conflict(
            "Set up an authenticator app first: recovery codes stand in for it.",
            code="not_enrolled",
        )
    with transaction.atomic():
        return _new_recovery_codes(actor, user)


def remove_authenticator(*, actor: Actor) -> None:
    """The acting member removes their authenticator app (with their recovery
    codes when it was their last second factor), unless it is the only one their
    partner requires of them."""
    user = actor.user
    device = authenticator(user)
    if device is None:
        raise NotFound("You have no authenticator app set up.")
    if required(user) and not has_passkeys(user):
        raise PermissionDenied(ONLY_ONE)
    with transaction.atomic():
        before = methods(user)
        TOTPDevice.objects.filter(user=user).delete()
        if not enrolled(user):
            remove_all(user)
        record(
            actor=actor,
            action="staff.second_factor_removed",
            target=user,
            before={"methods": before},
            after={"methods": methods(user)},
        )


def remove_all(user: User) -> list[str]:
    """Every second factor of the member gone; what they had."""
    before = methods(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    StaffPasskey.objects.filter(user=user).delete()
    return before


def reset_second_factor(*, actor: Actor, staff_id, reason) -> User:
    """A partner admin (or the operator) removes another member's second factor,
    e.g. a lost phone: they set up a new one at their next sign-in."""
    actor.require("staff.manage")
    reason = validation.clean_text(
        reason, field="reason", label="Reason", max_length=500
    )
    with transaction.atomic():
        user = get_staff(actor=actor, staff_id=staff_id)
        if _actor_is(actor, user):
            raise PermissionDenied(
                "You cannot reset your own second factor: ask another partner "
                "admin or the platform operator."
            )
        if not (
            TOTPDevice.objects.filter(user=user).exists()
            or StaticDevice.objects.filter(user=user).exists()
            or has_passkeys(user)
        ):
            raise Conflict(
                f"{user.email} has no second factor to reset.", code="not_enrolled"
            )
        before = remove_all(user)
        record(
            actor=actor,
            action="staff.second_factor_reset",
            target=user,
            reason=reason,
            before={"methods": before},
            after={"methods": []},
        )
    return user


def check(*, actor: Actor, user: User, code, request, purpose: str) -> str:
    """Check a code from the member's app, or one of their recovery codes;
    returns which it was. A wrong code counts as a failed sign-in."""
    code = _clean_code(code)
    if not code:
        raise DomainError(
            "Enter the 6-digit code from your app, or a recovery code.",
            field="code",
        )
    check_allowed(user=user, request=request)
    if code.isdigit():
        device, method = authenticator(user), AUTHENTICATOR
    else:
        device = StaticDevice.objects.devices_for_user(user).first()
        method = RECOVERY_CODES
    if device is not None and not device.verify_is_allowed()[0]:
        raise DomainError(THROTTLED, field="code", code="throttled")
    if device is None or not _verify(user, device, code):
        refuse(actor, user, method=method, purpose=purpose, request=request)
        raise DomainError(WRONG_CODE, field="code", code="wrong_code")
    record(
        actor=actor,
        action="staff.second_factor_passed",
        target=user,
        after={"method": method, "purpose": purpose},
    )
    return method


def check_allowed(*, user: User, request) -> None:
    """Refuse to check anything while the account or the address is paused
    after failed sign-ins (csrtool.partners.sign_in)."""
    source_ip = request.META.get("REMOTE_ADDR") or ""
    if sign_in.refused(
        request=request, canonical=user.email_canonical, source_ip=source_ip
    ):
        raise DomainError(sign_in.PAUSED, field="code", code="paused")


def refuse(actor: Actor, user: User, *, method: str, purpose: str, request) -> None:
    """A wrong second factor: audited, and counted as a failed sign-in."""
    record_failure(actor, user, method=method, purpose=purpose)
    sign_in.count_failure(
        canonical=user.email_canonical,
        source_ip=request.META.get("REMOTE_ADDR") or "",
    )


def record_failure(actor: Actor, user: User, *, method: str, purpose: str) -> None:
    record(
        actor=actor,
        action="staff.second_factor_failed",
        target=user,
        outcome="failure",
        after={"method": method, "purpose": purpose},
    )
