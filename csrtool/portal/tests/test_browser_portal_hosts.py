"""Two partners with their own portal hosts, colours, names and languages, in a
real browser: each customer's welcome email (received over SMTP, in the
customer's language) leads to its partner's host, where the pages wear that
partner's brand and nothing of the other's, speak the customer's language, and
stay accessible."""

import re

import pytest
from django.utils import translation

from csrtool.conftest import assert_accessible, run_jobs
from csrtool.onboarding.email_templates.rules import built_in
from csrtool.onboarding.services import resend_welcome
from csrtool.partners.access import staff_actor
from csrtool.partners.services import update_partner
from csrtool.subscribers.services import update_subscriber

BRANDS = {
    "acme": {
        "portal_host": "account.acme-voice.example",
        "product_name": "Acme Voice",
        "brand_primary": "#7a1f5c",
        "brand_accent": "#3d0f2e",
        "terms_url": "https://acme-voice.example/terms",
        "default_language": "en",
    },
    "globex": {
        "portal_host": "my.globex.example",
        "product_name": "Globex Connect",
        "brand_primary": "#1d5c2e",
        "brand_accent": "#0f2e17",
        "terms_url": "https://globex.example/terms",
        "default_language": "es",
    },
}
RGB = {
    "#7a1f5c": "rgb(122, 31, 92)",
    "#3d0f2e": "rgb(61, 15, 46)",
    "#1d5c2e": "rgb(29, 92, 46)",
    "#0f2e17": "rgb(15, 46, 23)",
}


@pytest.mark.django_db(transaction=True)
def test_each_partners_customer_meets_only_its_brand_on_its_host(
    cast, page, live_server, smtpd, settings
):
    # Links in emails take the scheme and port of the base URL: the live server's.
    settings.BASE_URL = live_server.url
    port = live_server.url.rsplit(":", 1)[1]
    olivia = staff_actor(cast.olivia)
    for slug, brand in BRANDS.items():
        update_partner(actor=olivia, slug=slug, **brand)
    # Globex's customer speaks its partner's language.
    update_subscriber(
        actor=staff_actor(cast.charlie), public_id=cast.gus.public_id, language="es"
    )
    resend_welcome(actor=staff_actor(cast.bob), public_id=cast.sam.public_id)
    resend_welcome(actor=staff_actor(cast.charlie), public_id=cast.gus.public_id)
    run_jobs()

    for slug, customer in (("acme", cast.sam), ("globex", cast.gus)):
        brand = BRANDS[slug]
        other = BRANDS["globex" if slug == "acme" else "acme"]
        language = brand["default_language"]
        with translation.override(language):
            terms = translation.gettext("Terms of service")
            sign_in = translation.gettext("Sign in to your %(product)s account")
        (email,) = smtpd.to(customer.email)
        assert email["Subject"] == built_in("welcome", language).subject.replace(
            "{{ product_name }}", brand["product_name"]
        )
        text = email.get_body(("plain",)).get_content()
        assert terms in text
        link = re.search(r"https?://\S+/welcome/\S+", text).group(0)
        assert link.startswith(f"http://{brand['portal_host']}:{port}/"), link
        assert brand["terms_url"] in text and other["terms_url"] not in text

        page.goto(link)
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator(".topbar .brand").inner_text() == brand["product_name"]
        button = page.get_by_role("button").last
        assert (
            button.evaluate("b => getComputedStyle(b).backgroundColor")
            == (RGB[brand["brand_primary"]])
        )
        assert (
            page.locator(".topbar").evaluate("t => getComputedStyle(t).backgroundColor")
            == RGB[brand["brand_accent"]]
        )
        content = page.content()
        assert other["product_name"] not in content
        assert other["terms_url"] not in content
        assert (
            page.get_by_role("link", name=terms).get_attribute("href")
            == brand["terms_url"]
        )
        assert_accessible(page)

        page.goto(f"http://{brand['portal_host']}:{port}/portal/login/")
        # The browser remembers the customer's language from the welcome page.
        assert page.get_by_role("heading", level=1).inner_text() == (
            sign_in % {"product": brand["product_name"]}
        )
        assert_accessible(page)
        # The console is not there.
        response = page.goto(f"http://{brand['portal_host']}:{port}/login/")
        assert response.status == 404
