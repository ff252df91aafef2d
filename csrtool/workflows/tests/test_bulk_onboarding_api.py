"""/api/v1/subscriber-imports: bulk onboarding through the API."""

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.onboarding.models import OutboundEmail
from csrtool.partners.models import Role
from csrtool.subscribers.models import Subscriber
from csrtool.workflows.tests.test_bulk_onboarding import GOOD

BAD = GOOD + "Eve,,eve@customer.example,+1 212 555 0109,,B-9,,\n"


def send(api, body: str, **query):
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return api.post(
        f"/api/v1/subscriber-imports?{params}", body, content_type="text/csv"
    )


def test_a_dry_run_lists_each_rows_problem_and_creates_nobody(
    cast,
    pool,
    api_client_for,
):
    api = api_client_for(cast.acme, Role.CSR)
    body = send(api, BAD, dry_run="true").json()
    assert body["dry_run"] is True and body["will_add"] == 3
    [error] = body["errors"]
    assert error["line"] == 5 and error["reason"].startswith("Last Name:")
    assert not Subscriber.objects.filter(email="ada@customer.example").exists()


def test_an_import_then_its_result_and_invitations(
    cast,
    pool,
    api_client_for,
    smtpd,
):
    api = api_client_for(cast.acme, Role.CSR)
    body = send(api, BAD, invite_later="true").json()
    assert (body["added"], body["failed"], body["invite"]) == (3, 1, "later")
    import_id = body["import_id"]
    result = api.get(f"/api/v1/subscriber-imports/{import_id}/result")
    assert result["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(result).decode()
    ada = Subscriber.objects.get(email="ada@customer.example")
    assert f"2,ada@customer.example,added,{ada.public_id}," in text
    assert not OutboundEmail.objects.exists()
    invited = api.post(f"/api/v1/subscriber-imports/{import_id}/invitations")
    assert invited.status_code == 202 and invited.json()["invitations_queued"] == 3
    run_jobs()
    assert len(smtpd.messages) == 3
    assert AuditEvent.objects.filter(
        action="subscriber_import.completed", channel="api"
    ).exists()


def test_another_partners_import_is_unknown_and_auditors_cannot_import(
    cast,
    pool,
    api_client_for,
):
    body = send(api_client_for(cast.acme, Role.CSR), GOOD, dry_run="true").json()
    globex = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    for response in (
        globex.get(f"/api/v1/subscriber-imports/{body['import_id']}"),
        globex.get(f"/api/v1/subscriber-imports/{body['import_id']}/result"),
        globex.post(f"/api/v1/subscriber-imports/{body['import_id']}/invitations"),
    ):
        assert response.status_code == 404
    auditor = api_client_for(cast.acme, Role.AUDITOR)
    assert send(auditor, GOOD).status_code == 403
    assert not Subscriber.objects.filter(email="ada@customer.example").exists()
