"""A subscriber's language, through every door: the partner's default for new
accounts, picked on Add Enterprise Account (page, API, command line, bulk
import), changed by a CSR; only languages we speak."""

import json

import pytest
from django.core.management import call_command

from csrtool.audit.models import AuditEvent
from csrtool.partners.access import staff_actor
from csrtool.partners.services import update_partner
from csrtool.subscribers.models import Subscriber
from csrtool.workflows import bulk_onboarding

pytestmark = pytest.mark.django_db

NEW = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@analytical.example",
    "phone": "212-555-0123",
    "billing_id": "B-1",
}


def post_json(client, path, body, method="post"):
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json"
    )


def test_a_new_account_gets_the_partners_default_language(cast, api_client_for):
    update_partner(actor=staff_actor(cast.alice), slug="acme", default_language="es")
    response = post_json(api_client_for(cast.acme), "/api/v1/subscribers", NEW)
    assert response.status_code == 201, response.content
    assert response.json()["language"] == "es"
    ada = Subscriber.objects.get(email="ada@analytical.example")
    assert ada.language == "es"
    created = AuditEvent.objects.get(
        action="subscriber.created", target_id=ada.public_id
    )
    assert created.after["language"] == "es"


def test_the_api_takes_a_language_and_refuses_one_we_do_not_speak(cast, api_client_for):
    client = api_client_for(cast.acme)
    response = post_json(client, "/api/v1/subscribers", {**NEW, "language": "fr"})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "language"
    assert "'fr' is not a language we speak" in error["message"]
    assert "es (Español)" in error["message"]
    assert not Subscriber.objects.filter(email="ada@analytical.example").exists()

    # A regional tag is its language.
    response = post_json(client, "/api/v1/subscribers", {**NEW, "language": "es-MX"})
    assert response.status_code == 201
    public_id = response.json()["subscriber_id"]
    assert response.json()["language"] == "es"

    response = post_json(
        client, f"/api/v1/subscribers/{public_id}", {"language": "en"}, "patch"
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(public_id=public_id).language == "en"
    changed = AuditEvent.objects.get(action="subscriber.updated")
    assert (changed.before, changed.after) == ({"language": "es"}, {"language": "en"})


def test_the_add_page_offers_the_languages_with_the_partners_default_chosen(
    cast, client_for
):
    cast.acme.default_language = "es"
    cast.acme.save(update_fields=["default_language"])
    client = client_for(cast.bob)
    page = client.get("/subscribers/new/").content.decode()
    assert '<option value="es" selected>Español</option>' in page
    assert '<option value="en">English</option>' in page

    response = client.post("/subscribers/new/", {**NEW, "language": "en"})
    assert response.status_code == 302
    assert Subscriber.objects.get(email="ada@analytical.example").language == "en"


def test_the_subscribers_page_shows_and_edits_the_language(cast, client_for):
    client = client_for(cast.bob)
    page = client.get(f"/subscribers/{cast.sam.public_id}/").content.decode()
    assert "<dt>Language</dt><dd>English</dd>" in page
    edit = f"/subscribers/{cast.sam.public_id}/edit/"
    form = client.get(edit).content.decode()
    assert '<option value="en" selected>English</option>' in form
    client.post(
        edit,
        {
            "first_name": "Sam",
            "last_name": "Sample",
            "phone": cast.sam.phone,
            "time_zone": cast.sam.time_zone,
            "language": "es",
            "billing_id": cast.sam.billing_id,
        },
    )
    cast.sam.refresh_from_db()
    assert cast.sam.language == "es"


def test_the_command_line_adds_and_edits_with_a_language(cast, capsys):
    call_command(
        "subscribers",
        "add",
        "--as",
        "bob@acme.example",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@analytical.example",
        "--phone",
        "212-555-0123",
        "--billing-id",
        "B-1",
        "--language",
        "es",
        "--json",
    )
    assert json.loads(capsys.readouterr().out)["language"] == "es"
    call_command(
        "subscribers",
        "edit",
        cast.sam.public_id,
        "--as",
        "bob@acme.example",
        "--language",
        "es",
    )
    cast.sam.refresh_from_db()
    assert cast.sam.language == "es"


def test_the_partners_default_language_through_api_and_command_line(
    cast, api_client_for
):
    client = api_client_for(cast.acme, role="partner_admin")
    response = post_json(
        client, "/api/v1/partners/acme", {"default_language": "tlh"}, "patch"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "default_language"
    response = post_json(
        client, "/api/v1/partners/acme", {"default_language": "es"}, "patch"
    )
    assert response.status_code == 200
    assert response.json()["default_language"] == "es"

    call_command(
        "partner", "set", "--as", "alice@acme.example", "--default-language", "en"
    )
    cast.acme.refresh_from_db()
    assert cast.acme.default_language == "en"
    change = AuditEvent.objects.filter(action="partner.updated").last()
    assert change.after == {"default_language": "en"}


def test_a_bulk_imports_language_column(cast):
    text = (
        "First Name,Last Name,Email,Contact Phone,Language,Billing ID\n"
        "Ada,Lovelace,ada@customer.example,+1 212 555 0101,es,B-1\n"
        "Bo,Diddley,bo@customer.example,+1 212 555 0102,,B-2\n"
        "Cy,Young,cy@customer.example,+1 212 555 0103,Klingon,B-3\n"
    )
    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=text)
    assert (job.added, job.failed) == (2, 1)
    languages = dict(Subscriber.objects.values_list("email", "language"))
    assert languages["ada@customer.example"] == "es"
    assert languages["bo@customer.example"] == "en"
    assert "cy@customer.example" not in languages
