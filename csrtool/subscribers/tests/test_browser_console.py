import pytest
from playwright.sync_api import expect

from csrtool.conftest import assert_accessible, browser_login
from csrtool.subscribers.models import Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csr_adds_an_account_and_finds_it_with_subscriber_lookup(cast, page):
    page.goto("/login/")
    assert_accessible(page)
    browser_login(page, cast.bob)
    assert_accessible(page)

    page.get_by_role("link", name="Add Enterprise Account").first.click()
    assert page.get_by_label("Time Zone").input_value() == "America/New_York"
    # Submitting with mistakes shows them next to the fields, focused on the first.
    page.get_by_label("First Name").fill("Grace")
    page.get_by_label("Last Name").fill("Hopper")
    page.get_by_label("Email Address").fill("Grace.Hopper@Navy.example")
    page.get_by_label("Phone Number").fill("12")
    page.get_by_label("Billing ID").fill("   ")
    page.get_by_role("button", name="Create Account").click()
    expect(page.get_by_text("Billing ID is required.")).to_be_visible()
    assert page.get_by_text("Phone Number is not a valid number").is_visible()
    assert_accessible(page)

    page.get_by_label("Phone Number").fill("(703) 555-0142")
    page.get_by_label("Time Zone").fill("America/Chicago")
    page.get_by_label("Billing ID").fill("not_used")
    page.get_by_role("button", name="Create Account").click()

    subscriber = Subscriber.objects.get(email_canonical="grace.hopper@navy.example")
    assert subscriber.time_zone == "America/Chicago"
    assert page.get_by_role(
        "heading", name="Account created for Grace Hopper"
    ).is_visible()
    assert page.locator("#subscriber-id").inner_text() == subscriber.public_id
    assert page.get_by_role("button", name=f"Copy Subscriber ID {subscriber.public_id}")
    assert_accessible(page)

    page.get_by_role("link", name="Subscriber Lookup").click()
    page.get_by_label("Email address, name, Subscriber ID, Billing ID or phone").fill(
        "GRACE.hopper@navy.example"
    )
    page.keyboard.press("Enter")
    row = page.get_by_role("row").filter(has_text="Grace Hopper")
    expect(row).to_have_count(1)
    assert subscriber.public_id in row.inner_text()
    assert_accessible(page)

    row.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_text("M/d/yy")).to_be_visible()
    assert page.get_by_text("subscriber.created").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Edit details").click()
    page.get_by_label("Time Zone").fill("Europe/Berlin")
    page.get_by_label("Phone Number").fill("+1 703 555 0142")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("dd.MM.yy")).to_be_visible()
    assert_accessible(page)


def test_administration_pages_are_accessible(cast, page):
    browser_login(page, cast.alice)
    for path in (
        "/audit/",
        "/staff/",
        "/staff/new/",
        f"/staff/{cast.bob.pk}/",
        "/settings/",
        "/settings/api-keys/",
    ):
        page.goto(path)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page)

    page.goto("/settings/api-keys/")
    page.get_by_label("Name").fill("CRM sync")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-api-key")).to_contain_text("csr_")
    assert_accessible(page)


def test_operator_pages_are_accessible(cast, page):
    browser_login(page, cast.olivia)
    for path in (
        "/partners/",
        "/partners/new/",
        "/partners/acme/",
        "/partners/acme/edit/",
    ):
        page.goto(path)
        assert_accessible(page)
    page.goto("/partners/new/")
    page.get_by_label("Name").fill("Initech")
    page.get_by_label("Slug").fill("initech")
    page.get_by_label("Default time zone").fill("America/Chicago")
    page.get_by_role("button", name="Create partner").click()
    expect(page.get_by_text("Partner Initech created.")).to_be_visible()


def test_the_menu_is_usable_from_the_keyboard(cast, page):
    browser_login(page, cast.bob)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    menu = page.get_by_role("navigation", name="CSR menu")
    for label in (
        "Add Enterprise Account",
        "Subscriber Lookup",
        "Assign/Unassign Number",
        "Phone Line Lookup",
        "Browse Available Numbers",
        "CX Builder Features",
        "Audit Log",
    ):
        assert menu.get_by_text(label).count() == 1, label
