import pytest
from playwright.sync_api import expect

from csrtool.conftest import assert_accessible, browser_login
from csrtool.webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_admin_adds_an_endpoint_from_the_menu(cast, page, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    page.goto("/login/")
    browser_login(page, cast.alice)
    page.get_by_role("link", name="Webhooks").first.click()
    assert_accessible(page)

    page.get_by_label("URL").fill("https://169.254.169.254/")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("not on the public internet")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("URL").fill("https://hooks.example.com/csrtool")
    page.get_by_label("Description (optional)").fill("CRM sync")
    page.get_by_label("number.assigned").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#new-webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    assert_accessible(page)
    endpoint = WebhookEndpoint.objects.get(url="https://hooks.example.com/csrtool")
    assert endpoint.event_types == ["number.assigned"]

    page.get_by_role("link", name="Open the new endpoint").click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    assert secret not in page.content()
    assert_accessible(page)
