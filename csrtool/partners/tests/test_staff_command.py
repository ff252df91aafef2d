"""`csrtool staff`: the Staff page's work from the command line."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from csrtool.api.services import create_api_key
from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.partners.models import Role
from csrtool.partners.tests.invitations import invitation_path
from csrtool.partners.tests.test_staff_invitations import sets_a_password


def staff(capsys, *args):
    call_command("staff", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_an_admin_lists_their_partners_staff_only(cast, capsys):
    listed = staff(capsys, "list", "--as", "alice@acme.example")
    assert [m["email"] for m in listed] == [
        "alice@acme.example",
        "avery@acme.example",
        "bob@acme.example",
    ]


def test_an_admin_emails_a_new_invitation(cast, capsys, smtpd):
    call_command("staff", "invite", "BOB@acme.example", "--as", "alice@acme.example")
    assert "A new invitation is on its way to bob@acme.example" in (
        capsys.readouterr().out
    )
    run_jobs()
    [invitation] = smtpd.to("bob@acme.example")
    assert sets_a_password(invitation_path(invitation))
    assert AuditEvent.objects.get(action="staff.invited").channel == "cli"


def test_an_admin_changes_a_role_and_switches_someone_off_with_their_keys(
    cast, actor_of, capsys
):
    cast.bob.role = Role.PARTNER_ADMIN  # admins make API keys
    cast.bob.save(update_fields=["role"])
    key, _ = create_api_key(actor=actor_of(cast.bob), name="Bob's script")
    as_alice = ("--as", "alice@acme.example")
    member = staff(capsys, "edit", "bob@acme.example", "--role", "auditor", *as_alice)
    assert member["role"] == Role.AUDITOR
    member = staff(
        capsys,
        "edit",
        "bob@acme.example",
        "--switch-off",
        "--revoke-key",
        key.prefix,
        *as_alice,
    )
    assert member["is_active"] is False
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_another_partners_staff_are_unknown(cast, capsys):
    with pytest.raises(CommandError, match="No member of staff has the email"):
        call_command("staff", "show", "bob@acme.example", "--as", "gina@globex.example")
    with pytest.raises(CommandError, match="No member of staff has the email"):
        call_command(
            "staff", "invite", "bob@acme.example", "--as", "gina@globex.example"
        )
    assert not AuditEvent.objects.filter(action="staff.invited").exists()


def test_a_csr_cannot_manage_staff(cast, capsys):
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "staff", "invite", "avery@acme.example", "--as", "bob@acme.example"
        )
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "staff",
            "edit",
            "avery@acme.example",
            "--role",
            "csr",
            "--as",
            "bob@acme.example",
        )
    cast.avery.refresh_from_db()
    assert cast.avery.role == Role.AUDITOR
