"""Single sign-on in Chromium: email first on our login page, the provider's
own login page (node's oidc-provider on loopback), back signed in; the new
pages pass axe."""

import pytest
from playwright.sync_api import expect

from csrtool.conftest import assert_accessible, free_port
from csrtool.partners.access import cli_actor
from csrtool.partners.models import Role, User
from csrtool.partners.single_sign_on import set_single_sign_on
from csrtool.tests.oidc import CLIENT_ID, CLIENT_SECRET, OpenIDProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(live_server):
    started = OpenIDProvider(
        port=free_port(),
        redirect_uris=[live_server.url + "/login/sso/callback/"],
        post_logout_uris=[live_server.url + "/login/"],
    )
    yield started
    started.stop()


def test_a_new_member_signs_in_at_the_provider_and_out_again(cast, provider, page):
    set_single_sign_on(
        actor=cli_actor(),
        partner=cast.acme,
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        domains="acme.example",
        role_rules="partner_admin: groups=admins\ncsr: groups=support",
    )
    provider.set_account(
        "dana", email="dana@acme.example", name="Dana Doe", groups=["admins"]
    )
    page.goto("/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill("dana@acme.example")
    page.get_by_role("button", name="Sign in").click()
    # The provider's own login page.
    page.wait_for_url(provider.issuer + "/**")
    page.locator("input[name=login]").fill("dana")
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(
        lambda url: not url.startswith(provider.issuer) and "/login" not in url
    )
    expect(page.get_by_text("Dana Doe").first).to_be_visible()
    dana = User.objects.get(email_canonical="dana@acme.example")
    assert (dana.partner, dana.role) == (cast.acme, Role.PARTNER_ADMIN)
    assert_accessible(page)

    page.goto("/settings/single-sign-on/")
    expect(
        page.get_by_role("heading", name="Single sign-on of Acme Telecom")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email domains").fill("acme.example globex-bad")
    page.get_by_role("button", name="Save single sign-on").click()
    expect(page.get_by_text("is not an email domain")).to_be_visible()
    assert_accessible(page)

    # Signing out here sends the browser to the provider to sign out there too.
    page.get_by_role("button", name="Sign out").click()
    expect(
        page.get_by_role("heading", name="You are signed out of CSR Tool")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Sign out at your organisation too").click()
    page.wait_for_url(provider.issuer + "/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(lambda url: "/login/" in url and "127.0.0.1" not in url)
    expect(page.get_by_label("Email address")).to_be_visible()
