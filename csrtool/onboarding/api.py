from datetime import datetime

from ninja import Query, Router, Schema
from ninja.responses import Status as Reply

from csrtool.onboarding import services
from csrtool.onboarding.models import OutboundEmail
from csrtool.pagination import keyset_page
from csrtool.subscribers.services import get_subscriber

router = Router(tags=["onboarding"])


class EmailOut(Schema):
    id: int
    kind: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None

    @staticmethod
    def from_email(email: OutboundEmail) -> dict:
        return {
            "id": email.pk,
            "kind": email.kind,
            "recipient": email.recipient,
            "subject": email.subject,
            "status": email.status,
            "attempts": email.attempts,
            "last_error": email.last_error,
            "created_at": email.created_at,
            "next_attempt_at": email.next_attempt_at
            if email.status == "queued"
            else None,
            "sent_at": email.sent_at,
            "failed_at": email.failed_at,
        }


class EmailPage(Schema):
    items: list[EmailOut]
    next_cursor: str | None


class EmailFilters(Schema):
    cursor: str | None = None
    limit: int = 50


class ResendIn(Schema):
    email: str | None = None


@router.post(
    "/subscribers/{subscriber_id}/welcome-email",
    response={202: EmailOut},
    summary="Resend the welcome email",
    description=(
        "Queues a new welcome email with a new link; links in earlier emails stop "
        "working. Only while the account is pending activation (409 otherwise). "
        "With `email`, the login email is corrected first (a mistyped address the "
        "mail server refused) and the email goes there: both or neither."
    ),
)
def resend_welcome_email(request, subscriber_id: str, body: ResendIn | None = None):
    # The body may be left out; when sent, it is an object (api.JsonObjectParser).
    email = services.resend_welcome(
        actor=request.auth,
        public_id=subscriber_id,
        email=body.email if body else None,
    )
    return Reply(202, EmailOut.from_email(email))


@router.get(
    "/subscribers/{subscriber_id}/emails",
    response=EmailPage,
    summary="Emails sent to a subscriber, newest first, with their delivery state",
)
def list_emails(request, subscriber_id: str, filters: Query[EmailFilters]):
    actor = request.auth
    subscriber = get_subscriber(actor=actor, public_id=subscriber_id)
    queryset = OutboundEmail.objects.for_actor(actor).filter(subscriber=subscriber)
    page = keyset_page(queryset, filters.cursor, size=max(1, min(filters.limit, 100)))
    return {
        "items": [EmailOut.from_email(e) for e in page.items],
        "next_cursor": page.next_cursor,
    }
