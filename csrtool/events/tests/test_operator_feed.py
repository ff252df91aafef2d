"""The platform operator's systems read every partner's events with an operator key."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from csrtool.api.models import ApiKey
from csrtool.partners.access import staff_actor
from csrtool.subscribers.services import update_subscriber


def operator_key(*extra) -> dict:
    out = StringIO()
    call_command(
        "apikeys",
        "create",
        "--operator",
        "--name",
        "telephony",
        "--json",
        *extra,
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_an_operator_key_reads_every_partners_events_and_nothing_else(cast):
    update_subscriber(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id="O-1"
    )
    update_subscriber(
        actor=staff_actor(cast.charlie), public_id=cast.gus.public_id, billing_id="O-2"
    )
    created = operator_key()
    assert created["partner"] is None and created["role"] == "operator"
    api = Client(headers={"Authorization": f"Bearer {created['key']}"})

    feed = api.get("/api/v1/events").json()
    assert [e["partner"] for e in feed["items"]] == ["acme", "globex"]
    assert api.get("/api/v1/subscribers").status_code == 401
    assert api.get("/api/v1/numbers").status_code == 401
    assert api.get("/api/v1/webhooks/endpoints").status_code == 401

    call_command("apikeys", "revoke", created["prefix"], stdout=StringIO())
    assert api.get("/api/v1/events").status_code == 401


def test_only_the_operator_makes_operator_keys(cast):
    with pytest.raises(CommandError):
        operator_key("--as", "alice@acme.example")
    assert not ApiKey.objects.exists()


def test_the_operator_key_shows_in_the_key_list(cast):
    created = operator_key()
    out = StringIO()
    call_command("apikeys", "list", "--json", stdout=out)
    [listed] = json.loads(out.getvalue())
    assert listed["prefix"] == created["prefix"] and listed["partner"] is None
