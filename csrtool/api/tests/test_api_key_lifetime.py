"""API keys do not outlive the people who made them, nor their dates: creator and
last use shown everywhere keys are listed, revoked with their maker's switch-off,
expiry dates, and a partner's limit on days unused."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from csrtool import timezones
from csrtool.api.models import ApiKey
from csrtool.api.services import create_api_key
from csrtool.audit.models import AuditEvent
from csrtool.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def works(secret) -> bool:
    response = Client().get(
        "/api/v1/subscribers", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code in (200, 401)
    return response.status_code == 200


def later(days):
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(days=days)
    )


def switch_off(admin_client, member, **extra):
    return admin_client.post(
        f"/staff/{member.pk}/",
        {"full_name": member.full_name, "role": member.role, "time_zone": "", **extra},
    )


# Switched off with their keys


def test_switching_off_an_admin_revokes_the_keys_they_made_in_the_same_step(
    cast, actor_of, client_for
):
    alice_key, alice_secret = create_api_key(actor=actor_of(cast.alice), name="Sync")
    _, gina_secret = create_api_key(actor=actor_of(cast.gina), name="Globex")
    olivia = client_for(cast.olivia)
    page = olivia.get(f"/staff/{cast.alice.pk}/").content.decode()
    assert "API keys Alice Admin made" in page and alice_key.prefix in page
    response = switch_off(olivia, cast.alice, revoke=[alice_key.prefix])
    assert response.status_code == 302
    cast.alice.refresh_from_db()
    assert not cast.alice.is_active
    assert not works(alice_secret)
    assert works(gina_secret)
    event = AuditEvent.objects.get(action="api_key.revoked")
    assert event.target_id == alice_key.prefix
    assert "alice@acme.example, who made it, was switched off" in event.reason


def test_a_partner_admin_switches_off_another_and_revokes_their_keys(
    cast, actor_of, client_for
):
    from csrtool.partners.models import Role

    cast.bob.role = Role.PARTNER_ADMIN
    cast.bob.save(update_fields=["role"])
    bob_key, bob_secret = create_api_key(actor=actor_of(cast.bob), name="Bob's")
    kept_key, kept_secret = create_api_key(actor=actor_of(cast.bob), name="Kept")
    alice = client_for(cast.alice)
    switch_off(alice, cast.bob, revoke=[bob_key.prefix])
    assert not works(bob_secret)
    assert works(kept_secret), "an unticked key is the admin's choice to keep"


def test_keys_are_revoked_only_when_their_maker_is_switched_off(
    cast, actor_of, client_for
):
    key, secret = create_api_key(actor=actor_of(cast.alice), name="Sync")
    switch_off(client_for(cast.olivia), cast.alice, is_active="on", revoke=[key.prefix])
    assert works(secret)
    assert not AuditEvent.objects.filter(action="api_key.revoked").exists()


def test_another_persons_key_cannot_be_revoked_through_the_switch_off(
    cast, actor_of, client_for
):
    from csrtool.partners.models import Role

    cast.bob.role = Role.PARTNER_ADMIN
    cast.bob.save(update_fields=["role"])
    alice_key, alice_secret = create_api_key(actor=actor_of(cast.alice), name="A")
    response = switch_off(client_for(cast.alice), cast.bob, revoke=[alice_key.prefix])
    assert response.status_code == 200
    cast.bob.refresh_from_db()
    assert cast.bob.is_active, "nothing saved"
    assert works(alice_secret)


# Expiry and idleness


def test_a_key_stops_working_when_its_expiry_day_ends(cast, actor_of):
    tomorrow = timezone.now().date() + timedelta(days=1)
    key, secret = create_api_key(
        actor=actor_of(cast.alice), name="Short", expires_on=tomorrow.isoformat()
    )
    assert works(secret)
    with later(3):
        assert not works(secret)
    assert AuditEvent.objects.get(action="api_key.created").after["expires_at"]


def test_an_expiry_in_the_past_is_refused(cast, actor_of):
    with pytest.raises(ValidationFailed) as caught:
        create_api_key(actor=actor_of(cast.alice), name="Old", expires_on="2001-01-01")
    assert "expires_on" in caught.value.errors


def test_a_key_unused_for_the_partners_days_stops_working(cast, actor_of):
    cast.acme.api_key_idle_days = 30
    cast.acme.save(update_fields=["api_key_idle_days"])
    _, used = create_api_key(actor=actor_of(cast.alice), name="Used")
    _, unused = create_api_key(actor=actor_of(cast.alice), name="Unused")
    with later(20):
        assert works(used)
    with later(31):
        assert works(used), "used 11 days ago"
        assert not works(unused), "never used in 31 days"


def test_a_partner_may_let_unused_keys_live(cast, actor_of):
    cast.acme.api_key_idle_days = 0
    cast.acme.save(update_fields=["api_key_idle_days"])
    _, secret = create_api_key(actor=actor_of(cast.alice), name="Rare")
    with later(1000):
        assert works(secret)


def test_the_partner_admin_sets_the_idle_limit_on_the_settings_page(cast, client_for):
    page = client_for(cast.alice).get("/settings/").content.decode()
    assert "API keys stop working after this many days unused" in page
    client_for(cast.alice).post(
        "/settings/",
        {
            "name": cast.acme.name,
            "time_zone": cast.acme.time_zone,
            "product_name": cast.acme.product_name,
            "link_expiry_hours": "72",
            "number_aging_days": "90",
            "number_hold_minutes": "30",
            "api_key_idle_days": "45",
            "invitations_per_minute": "60",
        },
    )
    cast.acme.refresh_from_db()
    assert cast.acme.api_key_idle_days == 45


# Where keys are listed


def test_the_keys_page_shows_maker_last_use_expiry_and_state(
    cast, actor_of, client_for
):
    expiry = timezone.now().date() + timedelta(days=10)
    _, secret = create_api_key(
        actor=actor_of(cast.alice),
        name="Billing",
        expires_on=expiry,
    )
    works(secret)
    create_api_key(actor=actor_of(cast.alice), name="Idle one")
    cast.acme.api_key_idle_days = 1
    cast.acme.save(update_fields=["api_key_idle_days"])
    with later(2):
        page = client_for(cast.alice).get("/settings/api-keys/").content.decode()
    assert "by alice@acme.example" in page
    # Last used and expiry in Alice's zone (Acme's, New York), the zone named.
    key = ApiKey.objects.get(name="Billing")
    assert timezones.format_local_datetime(key.last_used_at, "America/New_York") in page
    assert timezones.format_local_datetime(key.expires_at, "America/New_York") in page
    assert "Stopped: unused for 1 days" in page


def test_the_cli_lists_maker_last_use_expiry_and_state(cast, actor_of, capsys):
    key, secret = create_api_key(
        actor=actor_of(cast.alice),
        name="Sync",
        expires_on=timezone.now().date() + timedelta(days=5),
    )
    works(secret)
    call_command("apikeys", "list", "--as", "alice@acme.example", "--json")
    [row] = json.loads(capsys.readouterr().out)
    assert row["created_by"] == "alice@acme.example"
    assert row["last_used_at"] and row["expires_at"] and row["state"] == "active"
    call_command("apikeys", "list", "--as", "alice@acme.example")
    text = capsys.readouterr().out
    key = ApiKey.objects.get(pk=key.pk)
    expires = timezones.format_local_datetime(key.expires_at, "America/New_York")
    assert "made by alice@acme.example" in text and f"expires {expires}" in text


def test_the_cli_creates_a_key_with_an_expiry(cast, capsys):
    day = (timezone.now().date() + timedelta(days=7)).isoformat()
    call_command(
        "apikeys", "create", "--partner", "acme", "--name", "Temp", "--expires", day
    )
    assert ApiKey.objects.get(name="Temp").expires_at is not None


# Switched off with their partner


def test_a_partners_keys_stop_working_while_the_partner_is_switched_off(cast, actor_of):
    _, acme_secret = create_api_key(actor=actor_of(cast.alice), name="Sync")
    _, globex_secret = create_api_key(actor=actor_of(cast.gina), name="Globex")
    cast.acme.is_active = False
    cast.acme.save(update_fields=["is_active"])

    assert not works(acme_secret)
    assert works(globex_secret)

    cast.acme.is_active = True
    cast.acme.save(update_fields=["is_active"])
    assert works(acme_secret)
