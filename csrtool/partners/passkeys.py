"""Passkeys and security keys (WebAuthn) as a member of staff's second factor.

py_webauthn makes the options a browser needs and checks what it answers: the
challenge (one per ceremony, kept in the session), the origin and relying party
(this host), the signature with the stored public key, and the signature
counter (a cloned authenticator shows an old count and is refused).
"""

import json

from django.db import transaction
from django.utils import timezone
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from csrtool import validation
from csrtool.audit.services import record
from csrtool.errors import DomainError, NotFound, PermissionDenied
from csrtool.partners import second_factor
from csrtool.partners.access import Actor
from csrtool.partners.models import StaffPasskey, User

RP_NAME = "CSR Tool"
PASSKEY = second_factor.PASSKEY
NOT_ACCEPTED = "That passkey or security key was not accepted. Try again."


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
        for p in StaffPasskey.objects.filter(user=user)
    ]


def registration_options(*, user: User, rp_id: str) -> tuple[str, str]:
    """(options JSON for navigator.credentials.create, the challenge to keep)."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=str(user.pk).encode(),
        user_name=user.email,
        user_display_name=user.display_name,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def authentication_options(*, user: User, rp_id: str) -> tuple[str, str]:
    """(options JSON for navigator.credentials.get, the challenge to keep)."""
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def add_passkey(
    *, actor: Actor, name, credential: str, challenge: str, rp_id: str, origin: str
) -> list[str] | None:
    """Keep the acting member's new passkey; returns fresh recovery codes when
    they had none (their first second factor)."""
    user = actor.user
    name = validation.clean_text(
        name or "Passkey", field="name", label="Name", max_length=100
    )
    if not challenge:
        raise DomainError(NOT_ACCEPTED, field="credential", code="no_challenge")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, ValueError):
        second_factor.record_failure(actor, user, method=PASSKEY, purpose="enrolment")
        raise DomainError(NOT_ACCEPTED, field="credential", code="wrong_code") from None
    with transaction.atomic():
        passkey = StaffPasskey.objects.create(
            user=user,
            name=name,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )
        record(
            actor=actor,
            action="staff.second_factor_added",
            target=user,
            after={"method": PASSKEY, "name": passkey.name},
        )
        return second_factor.first_recovery_codes(actor, user)


def check(
    *,
    actor: Actor,
    user: User,
    credential: str,
    challenge: str,
    rp_id: str,
    origin: str,
    request,
    purpose: str,
) -> str:
    """Check the browser's answer with one of the member's passkeys. A refused
    one counts as a failed sign-in, as a wrong code does."""
    second_factor.check_allowed(user=user, request=request)
    passkey = None
    try:
        credential_id = json.loads(credential).get("id", "")
        passkey = StaffPasskey.objects.filter(
            user=user, credential_id=credential_id
        ).first()
        if passkey is None or not challenge:
            raise InvalidAuthenticationResponse("unknown credential")
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
        # One answer signs in once: the counter moves on from what was read.
        moved = StaffPasskey.objects.filter(
            pk=passkey.pk, sign_count=passkey.sign_count
        ).update(sign_count=verified.new_sign_count, last_used_at=timezone.now())
        if not moved:
            raise InvalidAuthenticationResponse("used concurrently")
    except (
        InvalidAuthenticationResponse,
        InvalidJSONStructure,
        ValueError,
        AttributeError,
    ):
        second_factor.refuse(
            actor, user, method=PASSKEY, purpose=purpose, request=request
        )
        raise DomainError(NOT_ACCEPTED, field="code", code="wrong_code") from None
    record(
        actor=actor,
        action="staff.second_factor_passed",
        target=user,
        after={"method": PASSKEY, "purpose": purpose, "name": passkey.name},
    )
    return PASSKEY


def remove_passkey(*, actor: Actor, passkey_id) -> StaffPasskey:
    """The acting member removes one of their passkeys, unless it is the only
    second factor their partner requires of them."""
    user = actor.user
    try:
        passkey = StaffPasskey.objects.get(user=user, pk=int(passkey_id))
    except (StaffPasskey.DoesNotExist, ValueError, TypeError):
        raise NotFound("You have no such passkey.") from None
    others = StaffPasskey.objects.filter(user=user).exclude(pk=passkey.pk).exists()
    last = not others and second_factor.authenticator(user) is None
    if last and second_factor.required(user):
        raise PermissionDenied(second_factor.ONLY_ONE)
    with transaction.atomic():
        passkey.delete()
        if not second_factor.enrolled(user):
            second_factor.remove_all(user)
        record(
            actor=actor,
            action="staff.second_factor_removed",
            target=user,
            before={"method": PASSKEY, "name": passkey.name},
        )
    return passkey
