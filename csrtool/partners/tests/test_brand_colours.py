"""A partner's brand colours on what its customers see, refused when white text
on them would not be readable (WCAG 2.2 AA)."""

import json

import pytest
from django.test import Client

from csrtool.conftest import assert_accessible, run_jobs
from csrtool.onboarding.tests.conftest import issue_link
from csrtool.partners.models import Role
from csrtool.validation import contrast_ratio

SETTINGS = {
    "link_expiry_hours": "72",
    "number_aging_days": "90",
    "number_hold_minutes": "30",
    "api_key_idle_days": "90",
    "invitations_per_minute": "60",
}


def save_settings(client, cast, **colours):
    return client.post(
        "/settings/",
        {
            "name": cast.acme.name,
            "time_zone": cast.acme.time_zone,
            "product_name": cast.acme.product_name,
            **SETTINGS,
            **colours,
        },
        follow=True,
    )


def test_the_contrast_ratio_is_wcags():
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#ffffff", "#ffffff"), 2) == 1.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54


def test_a_colour_white_text_cannot_be_read_on_is_refused_with_its_ratio(
    cast, client_for
):
    page = save_settings(client_for(cast.alice), cast, brand_primary="#FFCC00")
    text = page.content.decode()
    assert "white text on #FFCC00 has a contrast ratio of 1.5" in text
    assert "WCAG 2.2 AA needs at least 4.5:1" in text
    cast.acme.refresh_from_db()
    assert cast.acme.brand_primary == ""
    bad = save_settings(client_for(cast.alice), cast, brand_accent="purple")
    assert "Accent colour: enter a colour as #RRGGBB" in bad.content.decode()


def test_the_api_refuses_it_too(cast, api_client_for):
    api = api_client_for(cast.acme, Role.PARTNER_ADMIN)
    response = api.patch(
        "/api/v1/partners/acme",
        json.dumps({"brand_primary": "#eeeeee"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "brand_primary"


def test_the_partners_customers_see_its_colours_on_pages_and_in_emails(
    cast, client_for, actor_of, smtpd
):
    save_settings(
        client_for(cast.alice), cast, brand_primary="#7A1F5C", brand_accent="#3d0f2e"
    )
    cast.acme.refresh_from_db()
    assert (cast.acme.brand_primary, cast.acme.brand_accent) == ("#7a1f5c", "#3d0f2e")

    token = issue_link(actor_of(cast.bob), cast.sam)
    page = Client().get(f"/welcome/{token}/").content.decode()
    assert '<link rel="stylesheet" href="/brand/acme.css">' in page
    css = Client().get("/brand/acme.css")
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert (
        css.content.decode() == ":root { --brand: #7a1f5c; --brand-dark: #3d0f2e; }\n"
    )
    run_jobs()
    [email] = smtpd.to("sam@customer.example")
    html = email.get_body(("html",)).get_content()
    assert "background:#7a1f5c" in html

    # Another partner's customers keep the product's colours.
    gus_token = issue_link(actor_of(cast.charlie), cast.gus)
    other = Client().get(f"/welcome/{gus_token}/").content.decode()
    assert "/brand/" not in other


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_welcome_page_wears_the_brand_and_stays_accessible(
    cast, actor_of, page, live_server
):
    cast.acme.brand_primary, cast.acme.brand_accent = "#7a1f5c", "#3d0f2e"
    cast.acme.save()
    token = issue_link(actor_of(cast.bob), cast.sam)
    page.goto(f"{live_server.url}/welcome/{token}/")
    button = page.get_by_role("button").last
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == (
        "rgb(122, 31, 92)"
    )
    topbar = page.locator(".topbar")
    assert topbar.evaluate("t => getComputedStyle(t).backgroundColor") == (
        "rgb(61, 15, 46)"
    )
    assert_accessible(page)
