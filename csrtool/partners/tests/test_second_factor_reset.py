"""Losing the second factor: a partner admin (or the operator) resets another
member's, with a reason, audited; never their own. And who must have one, set
per partner through every door."""

import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, give_authenticator, totp_code
from csrtool.partners import second_factor
from csrtool.partners.access import staff_actor
from csrtool.partners.second_factor_views import PASSED_AT


def enrolled_with_codes(user):
    give_authenticator(user)
    second_factor.new_recovery_codes(actor=staff_actor(user))


def reset_by_api(api, user, reason: str):
    """A partner admin's key resets `user`'s second factor."""
    return api.post(
        f"/api/v1/staff/{user.pk}/second-factor/reset",
        {"reason": reason},
        content_type="application/json",
    )


def fresh_client(client_for, user) -> Client:
    client = client_for(user)
    session = client.session
    session[PASSED_AT] = int(time.time())
    session.save()
    return client


def test_an_admin_resets_a_csrs_second_factor_with_a_reason(cast, client_for):
    enrolled_with_codes(cast.bob)
    give_authenticator(cast.alice)
    client = fresh_client(client_for, cast.alice)
    page = client.get(f"/staff/{cast.bob.pk}/").content.decode()
    assert "signs in with: authenticator app, recovery codes" in page
    response = client.post(
        f"/staff/{cast.bob.pk}/second-factor/reset/",
        {"reason": "Lost phone, confirmed by a call"},
        follow=True,
    )
    assert "second factor is reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.bob).exists()
    assert not StaticDevice.objects.filter(user=cast.bob).exists()
    event = AuditEvent.objects.get(action="staff.second_factor_reset")
    assert event.actor_user == cast.alice
    assert event.reason == "Lost phone, confirmed by a call"
    assert event.before == {"methods": ["authenticator app", "recovery codes"]}
    assert event.after == {"methods": []}
    assert event.partner == cast.acme

    # Bob now signs in with his password alone (Acme requires nothing).
    bob = Client()
    bob.post("/login/", {"username": "bob@acme.example", "password": PASSWORD})
    assert bob.get("/").status_code == 200


def test_a_reset_needs_a_reason(cast, client_for):
    enrolled_with_codes(cast.bob)
    client = fresh_client(client_for, cast.alice)
    response = client.post(
        f"/staff/{cast.bob.pk}/second-factor/reset/", {"reason": " "}, follow=True
    )
    assert "Reason is required." in response.content.decode()
    assert second_factor.enrolled(cast.bob)


def test_an_admin_cannot_reset_their_own(cast, client_for):
    enrolled_with_codes(cast.alice)
    client = fresh_client(client_for, cast.alice)
    page = client.get(f"/staff/{cast.alice.pk}/").content.decode()
    assert "Reset second factor" not in page
    response = client.post(
        f"/staff/{cast.alice.pk}/second-factor/reset/",
        {"reason": "my phone"},
        follow=True,
    )
    assert "You cannot reset your own second factor" in response.content.decode()
    assert second_factor.enrolled(cast.alice)
    assert not AuditEvent.objects.filter(action="staff.second_factor_reset").exists()


def test_another_partners_admin_cannot_reset_it(cast, client_for, api_client_for):
    enrolled_with_codes(cast.bob)
    client = fresh_client(client_for, cast.gina)
    response = client.post(
        f"/staff/{cast.bob.pk}/second-factor/reset/", {"reason": "lost phone"}
    )
    assert response.status_code == 404
    api = api_client_for(cast.globex, role="partner_admin")
    response = reset_by_api(api, cast.bob, "lost phone")
    assert response.status_code == 404
    with pytest.raises(CommandError, match="No member of staff has the email"):
        call_command(
            "staff",
            "reset-second-factor",
            "bob@acme.example",
            "--reason",
            "lost",
            "--as",
            "gina@globex.example",
        )
    assert second_factor.enrolled(cast.bob)


def test_a_csr_cannot_reset_anyones(cast, client_for):
    enrolled_with_codes(cast.avery)
    client = fresh_client(client_for, cast.bob)
    response = client.post(
        f"/staff/{cast.avery.pk}/second-factor/reset/", {"reason": "lost"}
    )
    assert response.status_code == 404
    assert second_factor.enrolled(cast.avery)


def test_a_reset_asks_the_admin_for_their_own_factor_again_after_15_minutes(
    cast, client_for
):
    enrolled_with_codes(cast.bob)
    give_authenticator(cast.alice)
    client = client_for(cast.alice)  # never passed it in this session
    response = client.post(
        f"/staff/{cast.bob.pk}/second-factor/reset/", {"reason": "lost phone"}
    )
    assert response["Location"].startswith("/account/confirm/")
    assert second_factor.enrolled(cast.bob)


def test_the_operator_resets_anyone_from_the_command_line(cast, capsys):
    enrolled_with_codes(cast.gina)
    call_command(
        "staff",
        "reset-second-factor",
        "gina@globex.example",
        "--reason",
        "Ticket 4411",
        "--json",
    )
    assert json.loads(capsys.readouterr().out)["email"] == "gina@globex.example"
    assert not second_factor.enrolled(cast.gina)
    event = AuditEvent.objects.get(action="staff.second_factor_reset")
    assert event.channel == "cli"
    assert event.reason == "Ticket 4411"
    assert event.partner == cast.globex
    with pytest.raises(CommandError, match="has no second factor to reset"):
        call_command(
            "staff",
            "reset-second-factor",
            "gina@globex.example",
            "--reason",
            "again",
        )


def test_a_partner_admin_key_resets_through_the_api(cast, api_client_for):
    enrolled_with_codes(cast.bob)
    api = api_client_for(cast.acme, role="partner_admin")
    response = reset_by_api(api, cast.bob, "lost phone")
    assert response.status_code == 200
    assert response.json()["email"] == "bob@acme.example"
    assert not second_factor.enrolled(cast.bob)
    response = reset_by_api(api, cast.bob, "again")
    assert response.status_code == 409
    assert response.json()["code"] == "not_enrolled"


def test_a_reset_member_who_must_have_one_sets_up_a_new_one_at_sign_in(cast):
    enrolled_with_codes(cast.olivia)
    call_command(
        "staff", "reset-second-factor", "olivia@platform.example", "--reason", "x"
    )
    client = Client()
    response = client.post(
        "/login/", {"username": "olivia@platform.example", "password": PASSWORD}
    )
    assert response["Location"] == "/login/second-factor/set-up/"


# Who must have one: page (test_second_factor.py), API and command line.


def test_a_partner_admin_key_sets_who_needs_one(cast, api_client_for):
    api = api_client_for(cast.acme, role="partner_admin")
    response = api.patch(
        "/api/v1/partners/acme",
        {"second_factor_required_for": "partner_admins"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["second_factor_required_for"] == "partner_admins"
    response = api.patch(
        "/api/v1/partners/acme",
        {"second_factor_required_for": "everyone"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "must be one of: nobody, partner_admins, all_staff" in response.text
    other = api.patch(
        "/api/v1/partners/globex",
        {"second_factor_required_for": "nobody"},
        content_type="application/json",
    )
    assert other.status_code == 404
    cast.acme.refresh_from_db()
    assert cast.acme.second_factor_required_for == "partner_admins"


def test_the_command_line_sets_who_needs_one(cast, capsys):
    call_command("partner", "set", "acme", "--second-factor-required-for", "all_staff")
    cast.acme.refresh_from_db()
    assert cast.acme.second_factor_required_for == "all_staff"
    assert AuditEvent.objects.get(action="partner.updated").channel == "cli"
    with pytest.raises(CommandError, match="No partner has the slug"):
        call_command(
            "partner",
            "set",
            "acme",
            "--second-factor-required-for",
            "nobody",
            "--as",
            "gina@globex.example",
        )
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "partner",
            "set",
            "acme",
            "--second-factor-required-for",
            "nobody",
            "--as",
            "bob@acme.example",
        )


def test_a_member_sets_up_an_app_from_their_own_page(cast, client_for):
    client = client_for(cast.bob)
    assert "Not set up." in client.get("/account/security/").content.decode()
    page = client.get("/account/security/authenticator/").content.decode()
    device = TOTPDevice.objects.get(user=cast.bob, confirmed=False)
    secret = second_factor.secret_text(device)
    assert secret in page
    assert 'src="data:image/svg+xml;base64,' in page
    response = client.post(
        "/account/security/authenticator/", {"code": totp_code(secret)}
    )
    assert "Your recovery codes" in response.content.decode()
    assert second_factor.enrolled(cast.bob)
    assert second_factor.recovery_codes_left(cast.bob) == 10
    page = client.get("/account/security/").content.decode()
    assert "10 unused recovery codes left" in page

    client.post("/account/security/authenticator/remove/")
    assert not second_factor.enrolled(cast.bob)
    assert second_factor.recovery_codes_left(cast.bob) == 0
    event = AuditEvent.objects.get(action="staff.second_factor_removed")
    assert event.actor_user == cast.bob


def test_a_member_who_must_have_one_cannot_remove_it(cast, client_for):
    cast.acme.second_factor_required_for = "all_staff"
    cast.acme.save()
    give_authenticator(cast.bob)
    client = fresh_client(client_for, cast.bob)
    response = client.post("/account/security/authenticator/remove/", follow=True)
    assert "you cannot remove your only one" in response.content.decode()
    assert second_factor.enrolled(cast.bob)
