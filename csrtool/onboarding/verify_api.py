"""API routes for a caller on the phone: verify caller, send a password-reset email."""

from datetime import datetime
from typing import Literal

from ninja import Router, Schema
from ninja.responses import Status as Reply

from csrtool.onboarding import verify
from csrtool.onboarding.api import EmailOut
from csrtool.onboarding.services import TooManyRequests
from csrtool.portal import reset

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
        retry = result.retry_at.isoformat() if result.retry_at else "later"
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
