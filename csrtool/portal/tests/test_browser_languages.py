"""A customer who speaks Spanish, in Chromium: the CSR picks the language on Add
Enterprise Account, the welcome email (over SMTP) and the welcome form speak
it, mistakes are explained in it, the portal speaks it, and switching to
English in Account Settings turns the pages to English. Every page is axe
clean in both languages."""

import re

import pytest
from django.utils import translation

from csrtool.conftest import AXE_JS, assert_accessible, browser_login, run_jobs
from csrtool.onboarding.email_templates.rules import built_in
from csrtool.subscribers.models import Status, Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def es(text: str) -> str:
    with translation.override("es"):
        translated = translation.gettext(text)
    assert translated != text, f"no Spanish for {text!r}"
    return translated


def test_a_spanish_speaking_customer_onboards_and_switches_to_english(
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
    page.get_by_label("Language", exact=True).select_option("es")
    page.get_by_label("Billing ID").fill("NEW-1")
    page.get_by_role("button", name="Create Account").click()
    page.get_by_role("heading", name="Account created for Nora Newcomer").wait_for()
    assert Subscriber.objects.get(email="nora@newco.example").language == "es"

    run_jobs()
    [message] = smtpd.to("nora@newco.example")
    wording = built_in("welcome", "es")
    assert message["Subject"] == wording.subject.replace(
        "{{ product_name }}", "CX Builder"
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    greeting = wording.text.splitlines()[0]
    assert (
        greeting.replace("{{ first_name }}", "Nora").replace(
            "{{ last_name }}", "Newcomer"
        )
        in text
    )
    link = re.search(r"https?://\S+/welcome/\S+/", text).group(0)

    # The customer's browser is English; the pages follow the customer.
    customer = page.context.browser.new_context(
        base_url=live_server.url, locale="en-US"
    )
    customer.add_init_script(path=str(AXE_JS))
    tab = customer.new_page()
    tab.set_default_timeout(10_000)
    tab.goto(link)
    with translation.override("es"):
        heading = translation.gettext("Set up your %(product)s account") % {
            "product": "CX Builder"
        }
    tab.get_by_role("heading", name=heading).wait_for()
    assert tab.locator("html").get_attribute("lang") == "es"
    assert tab.get_by_role("button", name=es("Show password")).first.is_visible()
    assert_accessible(tab)

    tab.get_by_label(es("Password"), exact=True).fill("sea gull")
    tab.get_by_label("PIN", exact=True).fill("123456")
    tab.get_by_label(es("PIN again")).fill("123456")
    tab.get_by_role("button", name=es("Set up my account")).click()
    tab.get_by_text(
        es("A PIN cannot be a straight run of digits, like 123456 or 987654.")
    ).wait_for()
    assert_accessible(tab)

    tab.get_by_label(es("Password"), exact=True).fill("pin 44 the sea gull")
    tab.get_by_label(es("Password again")).fill("pin 44 the sea gull")
    tab.get_by_label("PIN", exact=True).fill("480613")
    tab.get_by_label(es("PIN again")).fill("480613")
    tab.get_by_label(es("Security question")).select_option("first-pet")
    tab.get_by_label(es("Answer")).fill("Biscuit")
    tab.get_by_role("button", name=es("Set up my account")).click()
    tab.get_by_text(
        es("Your account is ready. Welcome to your account page.")
    ).wait_for()
    nora = Subscriber.objects.get(email="nora@newco.example")
    assert nora.status == Status.ACTIVE
    assert_accessible(tab)

    tab.get_by_role("link", name=es("Account Settings")).click()
    tab.get_by_role("combobox", name=es("Language")).select_option("en")
    tab.get_by_role("button", name=es("Save language")).click()
    tab.get_by_text("Your language is saved; your pages and emails use it.").wait_for()
    assert tab.locator("html").get_attribute("lang") == "en"
    nora.refresh_from_db()
    assert nora.language == "en"
    assert_accessible(tab)
    customer.close()
