"""A new subscriber, from created to ready, through the pages."""

import re

import pytest

from csrtool.conftest import AXE_JS, assert_accessible, browser_login, run_jobs
from csrtool.features.tests.conftest import enabled, make_number
from csrtool.subscribers.models import Subscriber


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_subscriber_goes_from_created_to_ready(
    cast, page, smtpd, settings, live_server
):
    settings.BASE_URL = live_server.url
    make_number(cast.acme, "8005550199", number_type="tollfree")
    browser_login(page, cast.bob)

    # Create.
    page.get_by_role("navigation").get_by_role(
        "link", name="Add Enterprise Account"
    ).click()
    page.get_by_label("First Name").fill("Rita")
    page.get_by_label("Last Name").fill("Ready")
    page.get_by_label("Email Address").fill("rita@ready.example")
    page.get_by_label("Phone Number").fill("212-555-0177")
    page.get_by_label("Billing ID").fill("READY-1")
    page.get_by_role("button", name="Create Account").click()
    page.get_by_role("heading", name="Account created for Rita Ready").wait_for()
    rita = Subscriber.objects.get(email="rita@ready.example")

    # Assign a number, from the confirmation's next steps: on her page, in place.
    page.get_by_role("link", name="Assign a phone number").click()
    assert page.url.endswith(f"/subscribers/{rita.public_id}/#assign-number")
    page.get_by_label("+1 800-555-0199").check()
    page.get_by_role("button", name="Assign the chosen number").click()
    page.get_by_text("8005550199 is now assigned to Rita Ready").wait_for()

    # Enable features, in place too: the page asks before enabling what they need.
    page.get_by_role("link", name="Enable CX Builder features").first.click()
    assert page.url.endswith("#enable-features")
    hub = page.locator("#enable-features ~ form")
    hub.get_by_label("Outbound campaigns").check()
    hub.get_by_label("Reporting").check()
    hub.get_by_role("button", name="Save features").click()
    page.get_by_text("Outbound campaigns needs Voice sites (IVR).").wait_for()
    assert enabled(rita) == set()
    assert_accessible(page)
    page.get_by_role("button", name="Enable Voice sites (IVR) too and save").click()
    page.get_by_text(
        "Rita Ready: Enabled Voice sites (IVR), Outbound campaigns and Reporting."
    ).wait_for()
    assert enabled(rita) == {"voice_sites", "outbound_campaigns", "reporting"}

    # Three of four steps: the subscriber has not onboarded yet.
    page.goto(f"/subscribers/{rita.public_id}/")
    badge = page.locator(".readiness").first
    assert "3/4" in badge.inner_text()
    assert badge.get_by_role("link", name="Onboarded").is_visible()
    assert_accessible(page)

    # The subscriber onboards from the welcome email.
    run_jobs()
    [message] = smtpd.to("rita@ready.example")
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/welcome/\S+/", text).group(0)
    customer = page.context.browser.new_context(base_url=live_server.url)
    customer.add_init_script(path=str(AXE_JS))
    tab = customer.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(link)
    tab.get_by_label("Password", exact=True).fill("ready steady go 2024")
    tab.get_by_label("Password again").fill("ready steady go 2024")
    tab.get_by_label("PIN", exact=True).fill("480613")
    tab.get_by_label("PIN again").fill("480613")
    tab.get_by_label("Security question").select_option(index=1)
    tab.get_by_label("Answer").fill("Kiel")
    tab.get_by_role("button", name="Set up my account").click()
    tab.get_by_role("heading", name="Your CX Builder account").wait_for()
    assert "Outbound campaigns" in tab.content()
    customer.close()

    # Ready, on the subscriber page and in Subscriber Lookup.
    page.goto(f"/subscribers/{rita.public_id}/")
    assert page.locator(".readiness").first.inner_text().startswith("Ready")
    page.goto("/subscribers/?q=rita")
    row = page.get_by_role("row").filter(has_text="Rita Ready")
    assert row.locator(".readiness").inner_text().startswith("Ready")
    assert_accessible(page)

    # The dashboard counts her as ready.
    page.goto("/")
    assert "…and features enabled: ready: 1" in page.content()
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bulk_plans_and_catalog_pages_are_accessible(cast, page):
    from csrtool.features.tests.conftest import make_plan

    make_plan(cast.alice, "Voice", "voice_sites", "reporting")
    make_number(cast.acme, "2125550188")
    browser_login(page, cast.alice)
    page.goto("/subscribers/?q=sam")
    page.get_by_label("Select Sam Sample").check()
    page.get_by_role("button", name="Change features of the selected").click()
    page.get_by_label("Plan", exact=True).select_option(label="Voice")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Preview: nothing is changed yet").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Apply to 1 subscriber").click()
    page.get_by_text("Changed 1 subscriber.").wait_for()
    assert enabled(cast.sam) == {"voice_sites", "reporting"}
    assert_accessible(page)
    for path in ["/features/plans/", "/features/plans/new/", "/"]:
        page.goto(path)
        assert_accessible(page)
    page.context.clear_cookies()
    browser_login(page, cast.olivia)
    for path in [
        "/features/catalog/",
        "/features/catalog/outbound_campaigns/",
        "/features/entitlements/acme/",
    ]:
        page.goto(path)
        assert_accessible(page)
