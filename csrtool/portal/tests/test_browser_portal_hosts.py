"""Two partners with their own portal hosts, colours and names, in a real
browser: each customer's welcome email (received over SMTP) leads to its
partner's host, where the pages wear that partner's brand and nothing of the
other's, and stay accessible."""

import re

import pytest

from csrtool.conftest import assert_accessible, run_jobs
from csrtool.onboarding.services import resend_welcome
from csrtool.partners.access import staff_actor
from csrtool.partners.services import update_partner

BRANDS = {
    "acme": {
        "portal_host": "account.acme-voice.example",
        "product_name": "Acme Voice",
        "brand_primary": "#7a1f5c",
        "brand_accent": "#3d0f2e",
        "terms_url": "https://acme-voice.example/terms",
    },
    "globex": {
        "portal_host": "my.globex.example",
        "product_name": "Globex Connect",
        "brand_primary": "#1d5c2e",
        "brand_accent": "#0f2e17",
        "terms_url": "https://globex.example/terms",
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
    resend_welcome(actor=staff_actor(cast.bob), public_id=cast.sam.public_id)
    resend_welcome(actor=staff_actor(cast.charlie), public_id=cast.gus.public_id)
    run_jobs()

    for slug, customer in (("acme", cast.sam), ("globex", cast.gus)):
        brand = BRANDS[slug]
        other = BRANDS["globex" if slug == "acme" else "acme"]
        (email,) = smtpd.to(customer.email)
        text = email.get_body(("plain",)).get_content()
        link = re.search(r"https?://\S+/welcome/\S+", text).group(0)
        assert link.startswith(f"http://{brand['portal_host']}:{port}/"), link
        assert brand["terms_url"] in text and other["terms_url"] not in text

        page.goto(link)
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
            page.get_by_role("link", name="Terms of service").get_attribute("href")
            == brand["terms_url"]
        )
        assert_accessible(page)

        page.goto(f"http://{brand['portal_host']}:{port}/portal/login/")
        assert page.get_by_role("heading", level=1).inner_text() == (
            f"Sign in to your {brand['product_name']} account"
        )
        assert_accessible(page)
        # The console is not there.
        response = page.goto(f"http://{brand['portal_host']}:{port}/login/")
        assert response.status == 404
