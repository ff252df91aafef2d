"""/api/v1/subscriber-imports: bulk onboarding through the API."""

from django.http import StreamingHttpResponse
from ninja import Router, Schema
from ninja.responses import Status as Reply

from csrtool.csvfiles import decode_upload
from csrtool.errors import ValidationFailed
from csrtool.subscribers.models import SubscriberImport
from csrtool.workflows import bulk_onboarding

router = Router(tags=["subscriber imports"])

CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": ",".join(bulk_onboarding.COLUMNS)
                + "\nAda,Lovelace,ada@customer.example,+12125550101,"
                "America/New_York,B-1,,\n",
            }
        },
    }
}
CSV_ANSWER = {
    "responses": {
        200: {
            "description": "line,email,outcome,subscriber_id,reason per row.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class RowProblem(Schema):
    line: int
    reason: str


class SubscriberImportOut(Schema):
    import_id: int
    status: str
    dry_run: bool
    invite: str
    rows: int
    will_add: int
    added: int
    already_present: int
    failed: int
    invitations_queued: int
    errors: list[RowProblem]


def _out(job: SubscriberImport, *, dry_run=False) -> dict:
    return {
        "import_id": job.pk,
        "status": job.status,
        "dry_run": dry_run,
        "invite": "now" if job.invite_now else "later",
        "rows": job.total_rows,
        "will_add": job.planned_add,
        "added": job.added,
        "already_present": job.planned_present if dry_run else job.already_present,
        "failed": job.planned_errors if dry_run else job.failed,
        "invitations_queued": job.invitations_queued,
        "errors": [
            {"line": int(line), "reason": reason}
            for line, reason in sorted(job.problems.items(), key=lambda p: int(p[0]))
        ],
    }


@router.post(
    "",
    response=SubscriberImportOut,
    summary="Onboard many existing customers from CSV",
    openapi_extra=CSV_BODY,
)
def import_subscribers(request, dry_run: bool = False, invite_later: bool = False):
    """The body is CSV with the header
    `first_name,last_name,email,phone,time_zone,language,billing_id,number,plan`
    (time zone, language, number and plan optional). With `dry_run=true` nobody
    is created and the answer says what importing would do, row by row.
    Customers the partner already has (by login email or Billing ID) are
    "already present": sending the same file
    again creates nobody and sends no second welcome email, and an import cut
    short continues. Welcome emails go
    out at the partner's pace; `invite_later=true` holds them back until POST
    …/invitations."""
    actor = request.auth
    text = decode_upload(request.body)
    if not text.strip():
        raise ValidationFailed({"file": ["Send the CSV as the request body."]})
    if dry_run:
        job, _ = bulk_onboarding.preview_import(
            actor=actor,
            text=text,
            file_name="API upload",
            invite_now=not invite_later,
        )
        return _out(job, dry_run=True)
    job = bulk_onboarding.import_accounts(
        actor=actor, text=text, file_name="API upload", invite_now=not invite_later
    )
    return _out(job)


@router.get("/{import_id}", response=SubscriberImportOut, summary="One import")
def get_import(request, import_id: int):
    job = bulk_onboarding.get_import(actor=request.auth, import_id=import_id)
    return _out(job, dry_run=job.status == "previewed")


@router.get(
    "/{import_id}/result",
    summary="An import's result file (CSV)",
    openapi_extra=CSV_ANSWER,
)
def import_result(request, import_id: int):
    job = bulk_onboarding.get_import(actor=request.auth, import_id=import_id)
    response = StreamingHttpResponse(
        bulk_onboarding.result_rows(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="subscriber-import-{job.pk}-result.csv"'
    )
    return response


@router.post(
    "/{import_id}/invitations",
    response={202: SubscriberImportOut},
    summary="Send the welcome emails of an invite-later import",
)
def send_invitations(request, import_id: int):
    """At the partner's pace; accounts that have a welcome email already are
    skipped, so asking twice sends nobody a second one."""
    job = bulk_onboarding.send_invitations(actor=request.auth, import_id=import_id)
    return Reply(202, _out(job))
