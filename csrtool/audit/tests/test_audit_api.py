"""/api/v1/audit-events: the Audit log page's list and CSV through the API."""

import csv
import io

from csrtool.audit.models import AuditEvent
from csrtool.partners.models import Role
from csrtool.partners.services import update_staff


def test_an_auditor_key_lists_its_partners_events_with_the_pages_filters(
    cast, actor_of, api_client_for
):
    update_staff(actor=actor_of(cast.alice), staff_id=cast.bob.pk, role="auditor")
    update_staff(actor=actor_of(cast.gina), staff_id=cast.charlie.pk, role="auditor")
    api = api_client_for(cast.acme, Role.AUDITOR)

    page = api.get("/api/v1/audit-events", {"action": "staff."}).json()
    [event] = page["items"]
    assert event["action"] == "staff.updated" and event["partner"] == "acme"
    assert event["after"] == {"role": "auditor"}
    assert event["actor_label"] == "alice@acme.example"
    assert event["created_at"].endswith("Z")
    actions = {e["action"] for e in api.get("/api/v1/audit-events").json()["items"]}
    # Never Globex's change.
    assert AuditEvent.objects.filter(partner=cast.globex).exists()
    assert all(
        e["partner"] == "acme" for e in api.get("/api/v1/audit-events").json()["items"]
    )
    assert "staff.updated" in actions


def test_the_list_is_cursor_paged_newest_first(cast, actor_of, api_client_for):
    for zone in ("Europe/Berlin", "Asia/Tokyo", "UTC"):
        update_staff(actor=actor_of(cast.alice), staff_id=cast.bob.pk, time_zone=zone)
    api = api_client_for(cast.acme, Role.AUDITOR)
    seen = []
    cursor = None
    while True:
        params = {"action": "staff.updated", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/audit-events", params).json()
        seen += [e["after"]["time_zone"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["UTC", "Asia/Tokyo", "Europe/Berlin"]


def test_the_export_is_the_pages_csv_and_is_audited(cast, actor_of, api_client_for):
    update_staff(actor=actor_of(cast.alice), staff_id=cast.bob.pk, full_name="=cmd")
    api = api_client_for(cast.acme, Role.AUDITOR)
    response = api.get("/api/v1/audit-events/export", {"action": "staff.updated"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response).decode())))
    [row] = rows
    assert row["action"] == "staff.updated" and row["partner"] == "acme"
    assert row["created_at"].endswith("Z")
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.channel == "api" and exported.after == {"action": "staff.updated"}


def test_csr_keys_read_the_log_but_do_not_export_it(cast, api_client_for):
    """As on the page: CSRs see the log, admins and auditors export it."""
    api = api_client_for(cast.acme, Role.CSR)
    assert api.get("/api/v1/audit-events").status_code == 200
    assert api.get("/api/v1/audit-events/export").status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()
