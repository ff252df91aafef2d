import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, run_jobs
from csrtool.errors import NotFound, PermissionDenied, ValidationFailed
from csrtool.partners.models import Partner, Role, User
from csrtool.partners.services import (
    create_partner,
    create_staff,
    update_partner,
    update_staff,
)
from csrtool.partners.tests.invitations import invitation_path


def test_the_operator_creates_a_partner(cast, actor_of):
    partner = create_partner(
        actor=actor_of(cast.olivia),
        name="Initech",
        slug="initech",
        time_zone="America/Chicago",
    )
    assert partner.time_zone == "America/Chicago"
    event = AuditEvent.objects.get(action="partner.created")
    assert event.partner == partner and event.actor_user == cast.olivia


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "acme"}, "slug"),
        ({"name": "Acme Telecom"}, "name"),
        ({"name": ""}, "name"),
        ({"time_zone": "Nowhere/City"}, "time_zone"),
    ],
)
def test_partner_fields_are_checked(cast, actor_of, fields, field):
    values = {"name": "Initech", "slug": "initech", "time_zone": "UTC", **fields}
    with pytest.raises(ValidationFailed) as caught:
        create_partner(actor=actor_of(cast.olivia), **values)
    assert field in caught.value.errors


def test_only_the_operator_creates_partners(cast, actor_of):
    with pytest.raises(PermissionDenied):
        create_partner(actor=actor_of(cast.alice), name="X", slug="x", time_zone="UTC")


def test_a_partner_admin_changes_its_own_settings_only(cast, actor_of):
    update_partner(
        actor=actor_of(cast.alice),
        slug="acme",
        time_zone="Europe/Paris",
        link_expiry_hours="48",
    )
    cast.acme.refresh_from_db()
    assert (cast.acme.time_zone, cast.acme.link_expiry_hours) == ("Europe/Paris", 48)
    with pytest.raises(NotFound):
        update_partner(actor=actor_of(cast.alice), slug="globex", name="Pwned")
    with pytest.raises(PermissionDenied):
        update_partner(actor=actor_of(cast.bob), slug="acme", name="Pwned")
    event = AuditEvent.objects.get(action="partner.updated")
    assert event.before == {"time_zone": "America/New_York", "link_expiry_hours": 72}


def test_the_partner_settings_page_refuses_nonsense(cast, client_for):
    response = client_for(cast.alice).post(
        "/settings/",
        {
            "name": "Acme Telecom",
            "time_zone": "UTC",
            "link_expiry_hours": "0",
            "number_aging_days": "many",
            "number_hold_minutes": "30",
            "product_name": "CX Builder",
        },
    )
    page = response.content.decode()
    assert "Enter a number from 1 to 720." in page
    assert "Enter a whole number." in page


def test_a_partner_admin_adds_staff_to_its_own_partner(cast, actor_of):
    user = create_staff(
        actor=actor_of(cast.alice), email="Dee@Acme.example", role="csr"
    )
    assert user.partner == cast.acme
    assert not user.has_usable_password()
    assert AuditEvent.objects.get(action="staff.created").after["role"] == "csr"


def test_staff_email_is_unique_and_roles_are_checked(cast, actor_of):
    with pytest.raises(ValidationFailed) as caught:
        create_staff(actor=actor_of(cast.alice), email="BOB@acme.example", role="csr")
    assert caught.value.errors == {"email": ["This email address is already in use."]}
    with pytest.raises(ValidationFailed):
        create_staff(actor=actor_of(cast.alice), email="x@acme.example", role="god")
    with pytest.raises(ValidationFailed):
        create_staff(
            actor=actor_of(cast.alice), email="x@acme.example", role="operator"
        )


def test_a_csr_cannot_manage_staff(cast, actor_of, client_for):
    with pytest.raises(PermissionDenied):
        create_staff(actor=actor_of(cast.bob), email="x@acme.example", role="csr")
    assert client_for(cast.bob).get("/staff/new/").status_code == 404


def test_switching_someone_off_ends_their_sessions(cast, actor_of, client_for):
    bob = client_for(cast.bob)
    assert bob.get("/").status_code == 200
    update_staff(actor=actor_of(cast.alice), staff_id=cast.bob.pk, is_active=False)
    assert bob.get("/").status_code == 302
    assert AuditEvent.objects.get(action="staff.updated").after == {"is_active": False}


def test_nobody_switches_themselves_off(cast, actor_of):
    with pytest.raises(ValidationFailed):
        update_staff(
            actor=actor_of(cast.alice), staff_id=cast.alice.pk, is_active=False
        )


def test_an_invited_member_sets_a_password_once_from_the_emailed_link(
    cast, actor_of, smtpd
):
    user = create_staff(
        actor=actor_of(cast.alice), email="dee@acme.example", role="csr"
    )
    run_jobs()
    [invitation] = smtpd.to("dee@acme.example")
    path = invitation_path(invitation)
    client = Client()
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    new = "a long enough passphrase"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert "no longer valid" in client.get(path, follow=True).content.decode()
    assert AuditEvent.objects.filter(
        action="staff.password_set", target_id=str(user.pk)
    )


def test_login_page_signs_staff_in_and_does_not_say_why_it_failed(cast):
    client = Client()
    response = client.post(
        "/login/", {"username": "BOB@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    wrong = Client().post(
        "/login/", {"username": "bob@acme.example", "password": "wrong password!"}
    )
    unknown = Client().post(
        "/login/", {"username": "nobody@acme.example", "password": "wrong password!"}
    )
    message = "That email address and password do not match an account."
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()


def test_pages_need_a_login(db):
    response = Client().get("/subscribers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# Command line


def test_createpartner_and_createstaff(db, capsys, smtpd):
    call_command(
        "createpartner",
        "--name",
        "Initech",
        "--slug",
        "initech",
        "--time-zone",
        "America/Chicago",
    )
    assert Partner.objects.get(slug="initech").time_zone == "America/Chicago"

    stdin = io.StringIO("a long enough passphrase\n")
    import sys

    old, sys.stdin = sys.stdin, stdin
    try:
        call_command(
            "createstaff",
            "--partner",
            "initech",
            "--email",
            "pat@initech.example",
            "--role",
            "csr",
            "--password-stdin",
        )
    finally:
        sys.stdin = old
    user = User.objects.get(email_canonical="pat@initech.example")
    assert user.role == Role.CSR and user.check_password("a long enough passphrase")

    call_command(
        "createstaff",
        "--partner",
        "initech",
        "--email",
        "lee@initech.example",
        "--role",
        "auditor",
        "--json",
    )
    out = capsys.readouterr().out
    assert '"invited": true' in out and "set-password" not in out
    run_jobs()
    [invitation] = smtpd.to("lee@initech.example")
    assert "/staff/set-password/" in invitation_path(invitation)
    events = AuditEvent.objects.filter(channel="cli").values_list("action", flat=True)
    assert {"partner.created", "staff.created"} <= set(events)


def test_createstaff_refuses_a_weak_password_and_a_bad_role(db):
    call_command(
        "createpartner", "--name", "Initech", "--slug", "initech", "--time-zone", "UTC"
    )
    import sys

    old, sys.stdin = sys.stdin, io.StringIO("short\n")
    try:
        with pytest.raises(CommandError) as caught:
            call_command(
                "createstaff",
                "--partner",
                "initech",
                "--email",
                "pat@initech.example",
                "--role",
                "csr",
                "--password-stdin",
            )
    finally:
        sys.stdin = old
    assert "at least 12 characters" in str(caught.value)
    with pytest.raises(CommandError):
        call_command(
            "createstaff",
            "--partner",
            "initech",
            "--email",
            "x@i.example",
            "--role",
            "wizard",
        )
    with pytest.raises(CommandError) as caught:
        call_command(
            "createstaff",
            "--partner",
            "nowhere",
            "--email",
            "x@i.example",
            "--role",
            "csr",
        )
    assert "No partner has the slug" in str(caught.value)
