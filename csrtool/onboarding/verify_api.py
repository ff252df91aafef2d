"""API routes for a caller on the phone: verify caller, send a password-reset email,
see and lift a portal sign-in lock."""

from datetime import datetime
from typing import Literal

from ninja import Router, Schema
from ninja.responses import Status as Reply

from csrtool.onboarding import verify
from csrtool.onboarding.api import EmailOut
from csrtool.onboarding.services import TooManyRequests
from csrtool.portal import reset, signin_lock
from csrtool.timezones import rfc3339

router = Router(tags=["verify caller"])


class VerifyIn(Schema):
    method: Literal["pin", "answer"]
    value: str


class VerifyOut(Schema):
    outcome: Literal["match", "no_match"]
    method: str
    tries_left: int


@router.post(
    "/subscribers/{subscriber_id}/verify-caller",
    response=VerifyOut,
    summary="Check the PIN or security answer a caller gives",
    description=(
        "Answers match or no_match and never reveals the secret. At most 5 tries "
        "per subscriber an hour: the sixth is refused unchecked (429 rate_limited). "
        "Every try is audited; the value is never stored."
    ),
)
def verify_caller(request, subscriber_id: str, data: VerifyIn):
    result = verify.verify_caller(
        actor=request.auth,
        public_id=subscriber_id,
        method=data.method,
        value=data.value,
    )
    if result.outcome == verify.REFUSED:
        retry = rfc3339(result.retry_at) if result.retry_at else "later"
        raise TooManyRequests(
            f"This account has had 5 verification tries in the last hour; try "
            f"again after {retry}."
        )
    return {
        "outcome": result.outcome,
        "method": result.method,
        "tries_left": result.tries_left,
    }


class ResetOut(EmailOut):
    link_expires_at: datetime


@router.post(
    "/subscribers/{subscriber_id}/password-reset-email",
    response={202: ResetOut},
    summary="Email the subscriber a password-reset link",
    description=(
        "The link works once, for one hour, and needs the subscriber's security "
        "answer too. Only for active accounts (409 otherwise). Staff never see or "
        "set a password."
    ),
)
def send_password_reset(request, subscriber_id: str):
    email = reset.send_password_reset(actor=request.auth, public_id=subscriber_id)
    return Reply(
        202,
        {**EmailOut.from_email(email), "link_expires_at": email.link.expires_at},
    )


class SignInLockOut(Schema):
    locked: bool
    locked_until: datetime | None


class UnlockIn(Schema):
    reason: str


class UnlockOut(Schema):
    locked: bool
    was_locked_until: datetime


@router.get(
    "/subscribers/{subscriber_id}/sign-in-lock",
    response=SignInLockOut,
    summary="Whether the subscriber's portal sign-in is locked, and until when",
    description=(
        "Failed sign-ins lock the account on the address they came from (10 in "
        "30 minutes by default) and slow the account down when they come from many "
        "addresses (SECURITY.md). `locked_until` is when the last of these ends. "
        "Locks of a client address as such are never reported."
    ),
)
def get_sign_in_lock(request, subscriber_id: str):
    _, until = signin_lock.sign_in_lock(actor=request.auth, public_id=subscriber_id)
    return {"locked": until is not None, "locked_until": until}


@router.post(
    "/subscribers/{subscriber_id}/sign-in-lock/unlock",
    response=UnlockOut,
    summary="Unlock the subscriber's portal sign-in now",
    description=(
        "Lifts the account's sign-in lock and starts its failure count afresh; the "
        "reason is kept in the audit log. 409 not_locked when sign-in is not locked."
    ),
)
def unlock_sign_in(request, subscriber_id: str, data: UnlockIn):
    until = signin_lock.unlock_sign_in(
        actor=request.auth, public_id=subscriber_id, reason=data.reason
    )
    return {"locked": False, "was_locked_until": until}
