"""POST /numbers/import (CSV body; ?dry_run=true previews) and GET /numbers/export.

`register(router)` adds them to the numbers router ahead of its `/{dnis}` routes,
so "export" is never read as a DNIS.
"""

from django.http import StreamingHttpResponse
from django.utils import timezone
from ninja import Schema

from csrtool.csvfiles import Upload
from csrtool.errors import ValidationFailed
from csrtool.numberpool import imports
from csrtool.numberpool.exports import export_file_name, export_numbers
from csrtool.numberpool.models import NumberImport

CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "number,dnis,type,country_code,area_code,subscriber_id\n"
                "+18005550100,8005550100,tollfree,1,800,\n",
            }
        },
    }
}
CSV_ANSWER = {
    "responses": {
        200: {
            "description": "The pool in the import format.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class RowError(Schema):
    line: int
    number: str
    reason: str


class ImportOut(Schema):
    import_id: int
    status: str
    dry_run: bool
    rows: int
    will_add: int
    added: int
    already_present: int
    errors: list[RowError]

    @staticmethod
    def from_import(job: NumberImport, *, dry_run: bool) -> dict:
        return {
            "import_id": job.pk,
            "status": job.status,
            "dry_run": dry_run,
            "rows": job.total_rows,
            "will_add": job.planned_add,
            "added": job.added,
            "already_present": (
                job.planned_present if dry_run else job.already_present
            ),
            "errors": [
                {"line": row.line, "number": row.number, "reason": row.reason}
                for row in imports.import_rows(job, errors_only=True)
            ],
        }


def register(router) -> None:
    @router.post(
        "/import",
        response=ImportOut,
        summary="Add many numbers from CSV",
        openapi_extra=CSV_BODY,
    )
    def import_numbers(request, dry_run: bool = False):
        """The body is CSV with the header
        `number,dnis,type,country_code,area_code,subscriber_id`. With
        `dry_run=true` nothing is written and the answer says what importing
        would do. Rows already in the pool are skipped, so sending the same file
        again adds nothing; an import cut short continues when the same file is
        sent again. Row errors are listed, each with its line."""
        actor = request.auth
        actor.require("pool.manage")
        # Read as it arrives, never whole: the request is a stream.
        with Upload.from_stream(request, name="API upload") as upload:
            if upload.blank:
                raise ValidationFailed({"file": ["Send the CSV as the request body."]})
            if dry_run:
                job = imports.preview_import(actor=actor, upload=upload)
            else:
                job = imports.import_numbers(actor=actor, upload=upload).job
        return ImportOut.from_import(job, dry_run=dry_run)

    @router.get(
        "/export",
        summary="The pool as CSV, in the import format",
        openapi_extra=CSV_ANSWER,
    )
    def export(request):
        actor = request.auth
        lines = export_numbers(actor=actor)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        name = export_file_name(actor.partner, timezone.now())
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
