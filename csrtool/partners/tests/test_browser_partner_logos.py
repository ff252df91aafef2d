"""Two partners with their own logos and hosts, in a real browser: a partner admin
uploads a logo on the settings page; each customer's welcome email (received
over SMTP) shows its partner's logo from its partner's host, and the welcome page
and the portal there show that logo and nothing of the other partner's."""

import re

import pytest

from csrtool.conftest import assert_accessible, browser_login, run_jobs
from csrtool.onboarding.services import resend_welcome
from csrtool.partners import logos
from csrtool.partners.access import staff_actor
from csrtool.partners.models import BrandImage
from csrtool.partners.services import update_partner
from csrtool.partners.tests.images import png
from csrtool.portal.tests.conftest import SAM_PASSWORD, activate

BRANDS = {
    "acme": {"portal_host": "account.acme-voice.example", "product_name": "Acme Voice"},
    "globex": {"portal_host": "my.globex.example", "product_name": "Globex Connect"},
}
GLOBEX_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" width="120" '
    b'height="40" onload="alert(1)"><script>alert(2)</script>'
    b'<rect width="120" height="40" fill="#1d5c2e"/></svg>'
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_partners_customers_see_only_its_logo(
    cast, page, live_server, smtpd, settings, tmp_path
):
    settings.BASE_URL = live_server.url
    port = live_server.url.rsplit(":", 1)[1]
    olivia = staff_actor(cast.olivia)
    for slug, brand in BRANDS.items():
        update_partner(actor=olivia, slug=slug, **brand)

    # Acme's admin uploads its logo on the settings page.
    logo_file = tmp_path / "acme-logo.png"
    logo_file.write_bytes(png(240, 80, (122, 31, 92)))
    browser_login(page, cast.alice)
    page.goto("/settings/")
    page.get_by_label("New logo").set_input_files(str(logo_file))
    page.get_by_role("button", name="Upload logo").click()
    page.get_by_text("The new logo is saved.").wait_for()
    current = page.get_by_role("img", name="Your current logo")
    # The message may show before the image has loaded: wait for it (decode()
    # fails if it cannot load).
    width = current.evaluate("img => img.decode().then(() => img.naturalWidth)")
    assert width == 240
    assert_accessible(page)
    logos.set_brand_image(
        actor=staff_actor(cast.gina), slug="globex", kind="logo", data=GLOBEX_SVG
    )
    paths = {
        image.partner.slug: image.path
        for image in BrandImage.objects.select_related("partner")
    }
    page.context.clear_cookies()

    resend_welcome(actor=staff_actor(cast.bob), public_id=cast.sam.public_id)
    resend_welcome(actor=staff_actor(cast.charlie), public_id=cast.gus.public_id)
    run_jobs()
    for slug, customer in (("acme", cast.sam), ("globex", cast.gus)):
        other = "globex" if slug == "acme" else "acme"
        origin = f"http://{BRANDS[slug]['portal_host']}:{port}"
        (email,) = smtpd.to(customer.email)
        html_part = email.get_body(("html",)).get_content()
        logos_in_email = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html_part)
        assert logos_in_email == [(origin + paths[slug], BRANDS[slug]["product_name"])]
        assert paths[other] not in html_part
        image = page.goto(origin + paths[slug])
        assert image.status == 200
        assert image.headers["content-type"] in ("image/png", "image/svg+xml")

        text = email.get_body(("plain",)).get_content()
        page.goto(re.search(r"https?://\S+/welcome/\S+", text).group(0))
        topbar_logo = page.locator(".topbar img.brand-logo")
        assert topbar_logo.get_attribute("src") == paths[slug]
        assert topbar_logo.get_attribute("alt") == BRANDS[slug]["product_name"]
        assert topbar_logo.evaluate("img => img.complete && img.naturalWidth") > 0
        assert paths[other] not in page.content()
        assert f"/brand/{other}/" not in page.content()
        assert_accessible(page)

        activate(customer)
        page.goto(f"{origin}/portal/login/")
        assert page.locator("img.brand-logo").get_attribute("src") == paths[slug]
        assert_accessible(page)
        page.get_by_label("Email address").fill(customer.email)
        page.get_by_label("Password").fill(SAM_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{origin}/portal/")
        portal_logo = page.locator(".topbar img.brand-logo")
        assert portal_logo.get_attribute("src") == paths[slug]
        assert portal_logo.evaluate("img => img.complete && img.naturalWidth") > 0
        assert f"/brand/{other}/" not in page.content()
        assert_accessible(page)
        # The other partner's logo is not served on this host.
        assert page.goto(origin + paths[other]).status == 404
        page.context.clear_cookies()
