"""A partner's single sign-on settings through every door (page, API, CLI): the
same checks, audited with before and after, the client secret never shown
back nor logged, and only the partner's own (or the operator's)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from csrtool.audit.models import AuditEvent
from csrtool.conftest import give_authenticator
from csrtool.errors import ValidationFailed
from csrtool.partners.access import cli_actor
from csrtool.partners.models import PartnerSingleSignOn, Role, User
from csrtool.partners.single_sign_on import set_single_sign_on

SECRET = "s3cret-of-the-client"
FORM = {
    "issuer": "https://login.acme.example/realms/staff",
    "client_id": "csrtool",
    "client_secret": SECRET,
    "domains": "acme.example, acme-support.example",
    "role_rules": "partner_admin: groups=admins\ncsr: groups=support",
    "password_sign_in_allowed": "on",
}


def no_secret_anywhere():
    for event in AuditEvent.objects.all():
        assert SECRET not in json.dumps([event.before, event.after, event.reason])


def test_an_admin_sets_it_on_the_page_and_the_secret_is_never_shown_back(
    cast, client_for
):
    client = client_for(cast.alice)
    page = client.get("/settings/single-sign-on/")
    assert "http://testserver/login/sso/callback/" in page.content.decode()
    response = client.post("/settings/single-sign-on/", FORM)
    assert response.status_code == 302
    sso = PartnerSingleSignOn.objects.get(partner=cast.acme)
    assert sso.client_secret == SECRET
    assert sorted(d.domain for d in sso.domains.all()) == [
        "acme-support.example",
        "acme.example",
    ]
    assert sso.role_rules[1] == {"role": "csr", "claim": "groups", "value": "support"}
    shown = client.get("/settings/single-sign-on/").content.decode()
    assert SECRET not in shown
    assert "A client secret is saved." in shown
    event = AuditEvent.objects.get(action="partner.single_sign_on_updated")
    assert event.partner == cast.acme and event.actor_user == cast.alice
    assert event.before == {
        "single_sign_on": False,
        "issuer": None,
        "client_id": None,
        "domains": None,
        "local_sign_in_allowed": None,
        "role_rules": None,
    }
    assert event.after["domains"] == ["acme-support.example", "acme.example"]
    # A blank secret keeps the saved one; a change is audited by what changed.
    client.post("/settings/single-sign-on/", {**FORM, "client_secret": ""})
    client.post(
        "/settings/single-sign-on/",
        {**FORM, "client_secret": "", "password_sign_in_allowed": ""},
    )
    sso.refresh_from_db()
    assert sso.client_secret == SECRET and not sso.password_sign_in_allowed
    last = AuditEvent.objects.filter(action="partner.single_sign_on_updated").last()
    assert (last.before, last.after) == (
        {"local_sign_in_allowed": True},
        {"local_sign_in_allowed": False},
    )
    client.post("/settings/single-sign-on/", {"remove": "1"})
    assert not PartnerSingleSignOn.objects.exists()
    assert AuditEvent.objects.filter(action="partner.single_sign_on_removed").exists()
    no_secret_anywhere()


def test_the_page_asks_an_admin_with_a_second_factor_for_it_again(cast, client_for):
    give_authenticator(cast.alice)
    response = client_for(cast.alice).post("/settings/single-sign-on/", FORM)
    assert response["Location"].startswith("/account/confirm/")
    assert not PartnerSingleSignOn.objects.exists()


def test_only_admins_and_the_operator_reach_it(cast, client_for):
    for member in (cast.bob, cast.avery):
        assert client_for(member).get("/settings/single-sign-on/").status_code == 404
    operator = client_for(cast.olivia)
    assert (
        operator.post(
            "/partners/globex/single-sign-on/", {**FORM, "domains": "globex.example"}
        ).status_code
        == 302
    )
    assert PartnerSingleSignOn.objects.get().partner == cast.globex
    # A partner admin has no door to another partner's.
    assert (
        client_for(cast.alice).get("/partners/globex/single-sign-on/").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issuer": "http://login.acme.example"}, "issuer", "must start with https://"),
        ({"issuer": ""}, "issuer", "Issuer URL is required."),
        ({"issuer": "https://x.example/?a=1"}, "issuer", "plain https:// address"),
        ({"issuer": "https://10.0.0.5/realms/x"}, "issuer", "on the public internet"),
        ({"issuer": "https://169.254.169.254"}, "issuer", "on the public internet"),
        ({"issuer": "https://[fd00::1]/x"}, "issuer", "on the public internet"),
        ({"client_id": " "}, "client_id", "Client ID is required"),
        ({"client_secret": ""}, "client_secret", "Client secret is required."),
        ({"domains": ""}, "domains", "at least one email domain"),
        ({"domains": "acme"}, "domains", "is not an email domain"),
        ({"role_rules": ""}, "role_rules", "without a rule nobody gets in"),
        ({"role_rules": "boss: groups=x"}, "role_rules", "must be one of"),
        ({"role_rules": "operator: groups=x"}, "role_rules", "must be one of"),
        ({"role_rules": "csr groups"}, "role_rules", "role: claim=value"),
    ],
)
def test_every_bad_value_is_named_and_nothing_is_saved(
    cast, client_for, changes, field, message
):
    response = client_for(cast.alice).post(
        "/settings/single-sign-on/", {**FORM, **changes}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not PartnerSingleSignOn.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="partner.single").exists()


def test_an_issuer_whose_name_resolves_to_this_machine_is_refused(
    cast, client_for, settings
):
    settings.SSO_ALLOW_HTTP_LOOPBACK = False
    response = client_for(cast.alice).post(
        "/settings/single-sign-on/", {**FORM, "issuer": "https://localhost/realms/x"}
    )
    errors = " ".join(response.context["form"].errors["issuer"])
    assert "localhost is 127.0.0.1" in errors or "localhost is ::1" in errors
    assert not PartnerSingleSignOn.objects.exists()


def test_the_api_sets_shows_and_removes_it_for_its_own_partner_only(
    cast, api_client_for
):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    body = {
        "issuer": "https://login.acme.example",
        "client_id": "csrtool",
        "client_secret": SECRET,
        "domains": ["acme.example"],
        "role_rules": [{"claim": "roles", "value": "agent", "role": "csr"}],
        "password_sign_in_allowed": False,
    }
    response = api.put(
        "/api/v1/partners/acme/single-sign-on", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    shown = response.json()
    assert shown["enabled"] and shown["domains"] == ["acme.example"]
    assert SECRET not in response.content.decode()
    assert api.get("/api/v1/partners/acme/single-sign-on").json()["role_rules"] == [
        {"claim": "roles", "value": "agent", "role": "csr"}
    ]
    bad = api.put(
        "/api/v1/partners/acme/single-sign-on",
        {**body, "domains": ["not a domain"]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "is not an email domain" in bad.content.decode()
    # Another partner's answers like an unknown one.
    assert api.get("/api/v1/partners/globex/single-sign-on").status_code == 404
    assert api.delete("/api/v1/partners/globex/single-sign-on").status_code == 404
    csr = api_client_for(cast.acme, Role.CSR)
    assert csr.get("/api/v1/partners/acme/single-sign-on").status_code == 403
    # Staff who sign in there only: no password, no invitation.
    added = api.post(
        "/api/v1/staff",
        {"email": "dana@acme.example", "role": "csr", "sso_only": True},
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    assert added.json()["has_password"] is False
    assert not AuditEvent.objects.filter(action="staff.invited").exists()
    assert api.delete("/api/v1/partners/acme/single-sign-on").status_code == 204
    assert not PartnerSingleSignOn.objects.exists()
    no_secret_anywhere()


def sso_cli(capsys, *args):
    call_command("partner", "sso", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_the_cli_sets_it_with_the_secret_from_the_environment(
    cast, capsys, monkeypatch
):
    monkeypatch.setenv("CSRTOOL_SSO_CLIENT_SECRET", SECRET)
    shown = sso_cli(
        capsys,
        "--issuer",
        "https://login.acme.example",
        "--client-id",
        "csrtool",
        "--domains",
        "acme.example",
        "--role-rule",
        "csr: groups=support",
        "--role-rule",
        "auditor: groups=audit",
        "--password-sign-in",
        "off",
        "--as",
        "alice@acme.example",
    )
    assert shown["role_rules"] == "csr: groups=support\nauditor: groups=audit"
    assert shown["password_sign_in_allowed"] is False
    assert PartnerSingleSignOn.objects.get().client_secret == SECRET
    event = AuditEvent.objects.get(action="partner.single_sign_on_updated")
    assert event.channel == "cli" and event.actor_user == cast.alice
    # The operator changes one thing of any partner's; the rest stays.
    monkeypatch.delenv("CSRTOOL_SSO_CLIENT_SECRET")
    shown = sso_cli(capsys, "acme", "--password-sign-in", "on")
    assert shown["password_sign_in_allowed"] is True
    assert shown["domains"] == ["acme.example"]
    # A partner admin cannot reach another partner's.
    with pytest.raises(CommandError, match="No partner has the slug"):
        call_command("partner", "sso", "globex", "--as", "alice@acme.example")
    with pytest.raises(CommandError, match="Another partner's single sign-on"):
        call_command(
            "partner",
            "sso",
            "globex",
            "--issuer",
            "https://g.example",
            "--client-id",
            "c",
            "--domains",
            "acme.example",
            "--role-rule",
            "csr: groups=x",
        )
    sso_cli(capsys, "acme", "--off")
    assert not PartnerSingleSignOn.objects.exists()
    no_secret_anywhere()


def test_createstaff_makes_members_who_sign_in_at_the_provider_only(
    cast, capsys, smtpd
):
    set_single_sign_on(
        actor=cli_actor(),
        partner=cast.acme,
        issuer="https://login.acme.example",
        client_id="csrtool",
        client_secret=SECRET,
        domains="acme.example",
        role_rules="csr: groups=support",
    )
    call_command(
        "createstaff",
        "--partner",
        "acme",
        "--email",
        "dana@acme.example",
        "--role",
        "csr",
        "--sso",
        "--json",
    )
    assert json.loads(capsys.readouterr().out)["invited"] is False
    dana = User.objects.get(email_canonical="dana@acme.example")
    assert not dana.has_usable_password() and dana.partner == cast.acme
    assert not AuditEvent.objects.filter(action="staff.invited").exists()
    # Not for an address the partner's single sign-on does not cover.
    with pytest.raises(CommandError, match="does not cover"):
        call_command(
            "createstaff",
            "--partner",
            "globex",
            "--email",
            "x@globex.example",
            "--role",
            "csr",
            "--sso",
        )
    with pytest.raises(ValidationFailed):
        set_single_sign_on(
            actor=cli_actor(),
            partner=cast.globex,
            issuer="https://g.example",
            client_id="c",
            client_secret="s",
            domains="acme.example",
            role_rules="csr: groups=x",
        )
