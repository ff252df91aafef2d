"""/api/v1/audit-events: the audit log with the page's filters, and its CSV."""

from datetime import datetime

from django.http import StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from csrtool.audit.listing import export_filename, export_rows, newest_events

router = Router(tags=["audit"])

CSV_ANSWER = {
    "responses": {
        200: {
            "description": "The events, oldest first, as the page exports them.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class AuditFilters(Schema):
    action: str = Field("", description="Actions starting with this, e.g. staff.")
    actor: str = Field("", description="Who acted: part of an email or key name.")
    target: str = Field("", description="The target's id, e.g. a Subscriber ID.")
    since: str = Field("", description="From this day (YYYY-MM-DD, UTC).")
    until: str = Field("", description="To the end of this day (YYYY-MM-DD, UTC).")


class AuditPageFilters(AuditFilters):
    cursor: str | None = Field(None, description="The previous page's next_cursor.")
    limit: int = Field(100, ge=1, le=500)


class AuditEventOut(Schema):
    created_at: datetime
    partner: str | None
    actor_kind: str
    actor_label: str
    actor_role: str
    channel: str
    action: str
    outcome: str
    target_type: str
    target_id: str
    target_label: str
    before: dict | None
    after: dict | None
    reason: str
    request_id: str
    source_ip: str | None


class AuditPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


def _event(event) -> dict:
    data = {name: getattr(event, name) for name in AuditEventOut.model_fields}
    data["partner"] = event.partner.slug if event.partner else None
    return data


@router.get("", response=AuditPage, summary="Audit events, newest first")
def list_audit_events(request, filters: Query[AuditPageFilters]):
    """The key's partner's audit log (every partner's for the operator), filtered
    as on the Audit log page."""
    actor = request.auth
    actor.require("audit.view")
    page = newest_events(actor, filters.dict(), filters.cursor, filters.limit)
    return {"items": [_event(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/export",
    summary="Audit events as CSV, oldest first",
    openapi_extra=CSV_ANSWER,
)
def export_audit_events(request, filters: Query[AuditFilters]):
    """The export is audited itself, with the filters used."""
    actor = request.auth
    actor.require("audit.export")
    response = StreamingHttpResponse(
        export_rows(actor, filters.dict()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    return response
