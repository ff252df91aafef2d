"""A new customer's whole path, in Chromium, with a real SMTP server."""

import re

import pytest

from csrtool.conftest import AXE_JS, assert_accessible, browser_login, run_jobs
from csrtool.onboarding.models import SubscriberCredentials
from csrtool.subscribers.models import Status, Subscriber


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_csr_creates_the_account_and_the_customer_onboards_from_the_email(
    cast, page, smtpd, settings, live_server
):
    settings.BASE_URL = live_server.url
    browser_login(page, cast.bob)
    page.get_by_role("navigation").get_by_role(
        "link", name="Add Enterprise Account"
    ).click()
    page.get_by_label("First Name").fill("Nora")
    page.get_by_label("Last Name").fill("Newcomer")
    page.get_by_label("Email Address").fill("nora@newco.example")
    page.get_by_label("Phone Number").fill("212-555-0142")
    page.get_by_label("Billing ID").fill("NEW-1")
    page.get_by_role("button", name="Create Account").click()
    page.get_by_role("heading", name="Account created for Nora Newcomer").wait_for()

    run_jobs()
    [message] = smtpd.to("nora@newco.example")
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/welcome/\S+/", text).group(0)
    assert link.startswith(live_server.url)

    customer = page.context.browser.new_context(base_url=live_server.url)
    customer.add_init_script(path=str(AXE_JS))
    tab = customer.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(link)
    tab.get_by_role("heading", name="Set up your CX Builder account").wait_for()
    assert_accessible(tab)
    assert not tab.get_by_label("Your own question").is_visible()

    # Three mistakes at once are reported at once.
    tab.get_by_label("Password", exact=True).fill("sea gull")
    tab.get_by_label("PIN", exact=True).fill("123456")
    tab.get_by_label("PIN again").fill("123456")
    tab.get_by_label("Security question").select_option("own")
    tab.get_by_label("Your own question").fill("Which harbour did we sail from?")
    tab.get_by_role("button", name="Set up my account").click()
    tab.get_by_text("Please correct the 3 fields below.").wait_for()
    tab.get_by_text("This password is too short.").wait_for()
    tab.get_by_text("A PIN cannot be a straight run of digits").wait_for()
    tab.get_by_text("The answer needs at least 3 characters.").wait_for()
    assert_accessible(tab)

    tab.get_by_label("Answer").fill("Kiel")

    tab.get_by_label("Password", exact=True).fill("pin 44 the sea gull")
    tab.get_by_label("Password again").fill("pin 44 the sea gull")
    tab.get_by_label("PIN", exact=True).fill("480613")
    tab.get_by_label("PIN again").fill("480613")
    tab.get_by_role("button", name="Set up my account").click()
    tab.get_by_role("heading", name="Your CX Builder account").wait_for()
    assert "nora@newco.example" in tab.content()
    assert_accessible(tab)

    nora = Subscriber.objects.get(email="nora@newco.example")
    assert nora.status == Status.ACTIVE
    credentials = SubscriberCredentials.objects.get(subscriber=nora)
    assert credentials.security_question == "Which harbour did we sail from?"

    tab.goto(link)
    tab.get_by_role("heading", name="This link no longer works").wait_for()
    assert_accessible(tab)
    customer.close()

    page.goto(f"/subscribers/{nora.public_id}/")
    page.get_by_role("heading", name="Emails").wait_for()
    assert "Sent" in page.content()
    assert_accessible(page)
