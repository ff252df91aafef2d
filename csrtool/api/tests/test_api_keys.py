import json

import pytest
from django.core.management import call_command
from django.test import Client

from csrtool.api.models import ApiKey
from csrtool.api.services import create_api_key, revoke_api_key
from csrtool.audit.models import AuditEvent
from csrtool.errors import NotFound, PermissionDenied


def test_no_key_or_a_wrong_key_answers_401(cast):
    for headers in (
        {},
        {"Authorization": "Bearer csr_deadbeef_nope"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
    ):
        response = Client().get("/api/v1/subscribers", headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthenticated"


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(cast, actor_of):
    key, secret = create_api_key(actor=actor_of(cast.alice), name="Billing sync")
    assert secret.startswith(f"csr_{key.prefix}_")
    stored = ApiKey.objects.get(pk=key.pk)
    assert secret not in (stored.key_hash, stored.prefix, stored.name)
    event = AuditEvent.objects.get(action="api_key.created")
    assert secret not in json.dumps(event.after)


def test_a_revoked_key_stops_working_at_once(cast, actor_of):
    key, secret = create_api_key(actor=actor_of(cast.alice), name="Old")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/v1/subscribers").status_code == 200
    revoke_api_key(actor=actor_of(cast.alice), prefix=key.prefix)
    assert client.get("/api/v1/subscribers").status_code == 401


def test_keys_are_managed_by_partner_admins_of_their_own_partner(cast, actor_of):
    with pytest.raises(PermissionDenied):
        create_api_key(actor=actor_of(cast.bob), name="Mine")
    key, _ = create_api_key(actor=actor_of(cast.gina), name="Globex key")
    with pytest.raises(NotFound):
        revoke_api_key(actor=actor_of(cast.alice), prefix=key.prefix)


def test_the_keys_page_shows_a_new_key_once(cast, client_for):
    client = client_for(cast.alice)
    assert b'<a href="/settings/api-keys/">API Keys</a>' in client.get("/").content
    page = client.post("/settings/api-keys/", {"name": "CRM", "role": "csr"}).content
    key = ApiKey.objects.get(name="CRM")
    assert f"csr_{key.prefix}_".encode() in page
    again = client.get("/settings/api-keys/").content
    assert f"csr_{key.prefix}_".encode() not in again
    assert key.prefix.encode() in again
    client.post(f"/settings/api-keys/{key.prefix}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client_for(cast.bob).get("/settings/api-keys/").status_code == 404
    assert b"API Keys" not in client_for(cast.bob).get("/").content


def test_the_cli_creates_lists_and_revokes(cast, capsys):
    call_command("apikeys", "create", "--partner", "acme", "--name", "Sync", "--json")
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith("csr_")
    call_command("apikeys", "list", "--as", "alice@acme.example")
    listing = capsys.readouterr().out
    assert created["prefix"] in listing and created["key"] not in listing
    call_command("apikeys", "revoke", created["prefix"])
    assert ApiKey.objects.get(prefix=created["prefix"]).revoked_at is not None


def test_the_openapi_document_and_docs_are_served_locally(db):
    spec = Client().get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "csrtool API"
    assert "/api/v1/subscribers" in spec["paths"]
    docs = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
