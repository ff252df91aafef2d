"""/api/v1/staff and /api/v1/partners: the staff and partner pages' work through
the API, with the pages' rules."""

import json

from csrtool.api.services import create_api_key
from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.partners.models import Partner, Role, User
from csrtool.partners.tests.invitations import invitation_path
from csrtool.partners.tests.test_staff_invitations import sets_a_password

NEW = {"email": "dee@acme.example", "full_name": "Dee Newcomer", "role": "csr"}


def fields(response) -> set[str]:
    return {error["field"] for error in response.json()["errors"]}


def post(api, path, body):
    return api.post(path, json.dumps(body), content_type="application/json")


def patch(api, path, body):
    return api.patch(path, json.dumps(body), content_type="application/json")


def test_a_partner_admin_invites_staff_and_the_link_goes_only_to_them(
    cast, api_client_for, smtpd
):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    response = post(api, "/api/v1/staff", NEW)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "dee@acme.example" and body["partner"] == "acme"
    assert body["has_password"] is False
    assert "set-password" not in response.content.decode()
    run_jobs()
    [invitation] = smtpd.to("dee@acme.example")
    assert sets_a_password(invitation_path(invitation))
    assert api.get(f"/api/v1/staff/{body['id']}").json()["has_password"] is True
    assert AuditEvent.objects.filter(action="staff.invited", channel="api").exists()


def test_the_api_refuses_what_the_page_refuses(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    taken = post(api, "/api/v1/staff", {**NEW, "email": "BOB@acme.example"})
    assert taken.status_code == 400
    assert taken.json()["errors"] == [
        {"field": "email", "message": "This email address is already in use."}
    ]
    operator = post(api, "/api/v1/staff", {**NEW, "role": "operator"})
    assert operator.status_code == 400 and fields(operator) == {"role"}
    assert not User.objects.filter(email="dee@acme.example").exists()


def test_a_partner_admin_changes_a_role_and_switches_staff_off(
    cast, actor_of, api_client_for
):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    key, _ = create_api_key(actor=actor_of(cast.alice), name="Alice's script")

    auditor = patch(api, f"/api/v1/staff/{cast.bob.pk}", {"role": "auditor"})
    assert auditor.status_code == 200 and auditor.json()["role"] == "auditor"

    off = patch(api, f"/api/v1/staff/{cast.bob.pk}", {"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    cast.bob.refresh_from_db()
    assert cast.bob.role == Role.AUDITOR and not cast.bob.is_active
    # Keys are revoked here only for whoever made them.
    wrong = patch(
        api,
        f"/api/v1/staff/{cast.avery.pk}",
        {"is_active": False, "revoke_keys": [key.prefix]},
    )
    assert wrong.status_code == 400 and fields(wrong) == {"revoke"}
    cast.avery.refresh_from_db()
    assert cast.avery.is_active


def test_staff_of_another_partner_answer_as_unknown(cast, api_client_for, smtpd):
    api = api_client_for(cast.globex, Role.PARTNER_ADMIN)
    for response in (
        api.get(f"/api/v1/staff/{cast.bob.pk}"),
        patch(api, f"/api/v1/staff/{cast.bob.pk}", {"role": "auditor"}),
        api.post(f"/api/v1/staff/{cast.bob.pk}/invitation"),
        api.get("/api/v1/staff/999999"),
    ):
        assert response.status_code == 404
    listed = {m["email"] for m in api.get("/api/v1/staff").json()}
    assert listed == {"charlie@globex.example", "gina@globex.example"}
    assert api.get("/api/v1/staff", {"partner": "acme"}).status_code == 404
    assert len(api.get("/api/v1/staff", {"partner": "globex"}).json()) == 2
    # Naming Acme when inviting: as unknown as a partner nobody has.
    assert post(api, "/api/v1/staff", {**NEW, "partner": "acme"}).status_code == 404
    run_jobs()
    assert smtpd.messages == []


def test_csr_and_auditor_keys_cannot_manage_staff(cast, api_client_for):
    for role in (Role.CSR, Role.AUDITOR):
        api = api_client_for(cast.acme, role)
        assert post(api, "/api/v1/staff", NEW).status_code == 403
        assert api.post(f"/api/v1/staff/{cast.bob.pk}/invitation").status_code == 403
    assert not User.objects.filter(email="dee@acme.example").exists()


def test_a_new_invitation_through_the_api(cast, api_client_for, smtpd):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    response = api.post(f"/api/v1/staff/{cast.bob.pk}/invitation")
    assert response.status_code == 202
    run_jobs()
    [invitation] = smtpd.to("bob@acme.example")
    assert sets_a_password(invitation_path(invitation))


def test_the_operator_adds_and_changes_partners(cast, db):
    from django.test import Client

    from csrtool.api.services import create_operator_key
    from csrtool.partners.access import cli_actor

    _, secret = create_operator_key(actor=cli_actor(), name="provisioning")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    body = {"name": "Initech", "slug": "initech", "time_zone": "America/Chicago"}
    created = post(api, "/api/v1/partners", body)
    assert created.status_code == 201 and created.json()["slug"] == "initech"
    again = post(api, "/api/v1/partners", body)
    assert again.status_code == 400 and fields(again) == {"name", "slug"}
    changed = patch(api, "/api/v1/partners/initech", {"support_phone": "+13125550142"})
    assert changed.status_code == 200
    assert Partner.objects.get(slug="initech").support_phone == "+13125550142"
    slugs = [p["slug"] for p in api.get("/api/v1/partners").json()]
    assert slugs == ["acme", "globex", "initech"]


def test_a_partner_sees_and_changes_only_itself(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    assert [p["slug"] for p in api.get("/api/v1/partners").json()] == ["acme"]
    assert api.get("/api/v1/partners/globex").status_code == 404
    assert patch(api, "/api/v1/partners/globex", {"name": "Mine"}).status_code == 404
    new = {"name": "Initech", "slug": "initech", "time_zone": "UTC"}
    assert post(api, "/api/v1/partners", new).status_code == 403
    bad = patch(api, "/api/v1/partners/acme", {"link_expiry_hours": 0})
    assert bad.status_code == 400 and fields(bad) == {"link_expiry_hours"}
