"""`csrtool partner`: a partner's settings from the command line, as on the
Settings page: the same checks, audited, and only the partner's own."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from csrtool.audit.models import AuditEvent
from csrtool.partners.models import Partner


def partner(capsys, *args):
    call_command("partner", *args, "--json")
    return json.loads(capsys.readouterr().out)


def test_an_admin_changes_their_brand_and_the_change_is_audited(cast, capsys):
    shown = partner(
        capsys,
        "set",
        "--product-name",
        "Acme Voice",
        "--brand-primary",
        "#0b3d91",
        "--terms-url",
        "https://acme.example/terms",
        "--self-service-numbers",
        "off",
        "--as",
        "alice@acme.example",
    )
    assert shown["product_name"] == "Acme Voice"
    acme = Partner.objects.get(slug="acme")
    assert (acme.product_name, acme.brand_primary, acme.terms_url) == (
        "Acme Voice",
        "#0b3d91",
        "https://acme.example/terms",
    )
    assert acme.self_service_numbers is False
    event = AuditEvent.objects.get(action="partner.updated")
    assert event.channel == "cli" and event.actor_user == cast.alice
    assert event.after["product_name"] == "Acme Voice"
    assert partner(capsys, "show", "--as", "alice@acme.example")["terms_url"] == (
        "https://acme.example/terms"
    )


def test_every_bad_value_is_named_and_nothing_changes(cast, capsys):
    with pytest.raises(CommandError) as refused:
        call_command(
            "partner",
            "set",
            "acme",
            "--invitations-per-minute",
            "0",
            "--brand-accent",
            "#ffff00",
            "--privacy-url",
            "javascript:alert(1)",
        )
    message = str(refused.value)
    assert "invitations_per_minute: Enter a number from 1 to 6000." in message
    assert "brand_accent:" in message and "privacy_url:" in message
    acme = Partner.objects.get(slug="acme")
    assert acme.invitations_per_minute != 0 and acme.privacy_url == ""
    assert not AuditEvent.objects.filter(action="partner.updated").exists()


def test_the_operator_names_the_partner_and_may_set_its_portal_host(cast, capsys):
    with pytest.raises(CommandError, match="Name the partner"):
        call_command("partner", "set", "--product-name", "X")
    shown = partner(capsys, "set", "globex", "--portal-host", "account.globex.example")
    assert shown["portal_host"] == "account.globex.example"
    listed = partner(capsys, "list")
    assert [p["slug"] for p in listed] == ["acme", "globex"]


def test_another_partner_is_unknown_and_a_csr_may_not_change_settings(cast, capsys):
    with pytest.raises(CommandError, match="No partner has the slug 'globex'"):
        call_command("partner", "show", "globex", "--as", "alice@acme.example")
    with pytest.raises(CommandError, match="No partner has the slug 'globex'"):
        call_command(
            "partner",
            "set",
            "globex",
            "--product-name",
            "Taken over",
            "--as",
            "alice@acme.example",
        )
    with pytest.raises(CommandError, match="permission"):
        call_command(
            "partner", "set", "--product-name", "Bob's", "--as", "bob@acme.example"
        )
    assert [
        p["slug"] for p in partner(capsys, "list", "--as", "alice@acme.example")
    ] == ["acme"]
    assert Partner.objects.get(slug="globex").product_name != "Taken over"
    assert Partner.objects.get(slug="acme").product_name != "Bob's"
    assert not AuditEvent.objects.filter(action="partner.updated").exists()
