"""The bulk onboarding pages: upload, preview, import in the background, send
the held-back welcome emails, download the result."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from csrtool.conftest import assert_accessible, browser_login, run_jobs
from csrtool.onboarding.models import OutboundEmail
from csrtool.subscribers.models import Subscriber, SubscriberImport
from csrtool.workflows.tests.test_bulk_onboarding import GOOD

BAD = GOOD + "Eve,,eve@customer.example,+1 212 555 0109,,B-9,,\n"


def upload(client, text=BAD, invite="later"):
    return client.post(
        "/subscribers/import/",
        {
            "file": SimpleUploadedFile("customers.csv", text.encode(), "text/csv"),
            "invite": invite,
        },
    )


def test_a_csr_previews_imports_invites_and_downloads_the_result(
    cast, pool, client_for, smtpd
):
    client = client_for(cast.bob)
    response = upload(client)
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "Preview: nobody has been created yet" in preview
    assert "<strong>3 will be added</strong>, 0 already present, 1 with errors" in (
        preview
    )
    assert "Last Name:" in preview
    assert not Subscriber.objects.filter(email="ada@customer.example").exists()

    job = SubscriberImport.objects.get()
    started = client.post(f"/subscribers/import/{job.pk}/run/", follow=True)
    assert "Import started" in started.content.decode()
    run_jobs()  # the background job writes the rows
    page = client.get(f"/subscribers/import/{job.pk}/").content.decode()
    assert "3 added, 0 already present, 1 with errors" in page
    ada = Subscriber.objects.get(email="ada@customer.example")
    assert ada.public_id in page
    assert "Send 3 welcome emails" in page and not OutboundEmail.objects.exists()

    sent = client.post(f"/subscribers/import/{job.pk}/invite/", follow=True)
    assert "3 welcome emails queued" in sent.content.decode()
    run_jobs()
    assert len(smtpd.messages) == 3
    result = client.get(f"/subscribers/import/{job.pk}/result.csv")
    text = b"".join(result).decode()
    assert f"2,ada@customer.example,added,{ada.public_id}," in text


def test_the_page_refuses_a_file_without_the_columns(cast, client_for):
    page = upload(client_for(cast.bob), "name,mail\nAda,ada@x.example\n")
    text = page.content.decode()
    assert "Missing column(s): first_name, last_name, email, phone, billing_id." in (
        text
    )
    assert not SubscriberImport.objects.exists()


def test_another_partners_import_pages_are_not_found(cast, pool, client_for):
    upload(client_for(cast.bob))
    job = SubscriberImport.objects.get()
    other = client_for(cast.charlie)
    for response in (
        other.get(f"/subscribers/import/{job.pk}/"),
        other.post(f"/subscribers/import/{job.pk}/run/"),
        other.post(f"/subscribers/import/{job.pk}/invite/"),
        other.get(f"/subscribers/import/{job.pk}/result.csv"),
    ):
        assert response.status_code == 404
    assert client_for(cast.avery).get("/subscribers/import/").status_code == 404
    assert not Subscriber.objects.filter(email="ada@customer.example").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bulk_onboarding_in_the_browser(cast, pool, page, tmp_path, smtpd):
    source = tmp_path / "customers.csv"
    source.write_text(BAD)
    browser_login(page, cast.bob)

    page.goto(reverse("subscriber-add"))
    page.get_by_role("link", name="Import them from a CSV file").click()
    assert_accessible(page)
    page.get_by_label("CSV file", exact=True).set_input_files(str(source))
    page.get_by_label("Create the accounts now, send the welcome emails later").check()
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("3 will be added").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Import 3 accounts").click()
    page.get_by_text("Import started.").wait_for()
    run_jobs()
    page.get_by_role("link", name="Refresh").click()
    page.get_by_text("3 added, 0 already present, 1 with errors").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Send 3 welcome emails").click()
    page.get_by_text("3 welcome emails queued; they go out 60 a minute.").wait_for()
    assert_accessible(page)
    run_jobs()
    assert len(smtpd.messages) == 3


def test_the_partner_admin_sets_the_pace_of_welcome_emails(cast, client_for):
    settings = {
        "name": cast.acme.name,
        "time_zone": cast.acme.time_zone,
        "product_name": cast.acme.product_name,
        "link_expiry_hours": "72",
        "number_aging_days": "90",
        "number_hold_minutes": "30",
        "api_key_idle_days": "90",
    }
    client = client_for(cast.alice)
    refused = client.post("/settings/", {**settings, "invitations_per_minute": "0"})
    assert "Enter a number from 1 to 6000." in refused.content.decode()
    client.post("/settings/", {**settings, "invitations_per_minute": "500"})
    cast.acme.refresh_from_db()
    assert cast.acme.invitations_per_minute == 500
