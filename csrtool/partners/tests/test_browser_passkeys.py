"""Passkeys and security keys in Chromium, with its virtual authenticator
(the DevTools WebAuthn domain): added from Sign-in security, then used to sign
in and to confirm before creating an API key."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from playwright.sync_api import expect

from csrtool.api.models import ApiKey
from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, assert_accessible, browser_login
from csrtool.partners.models import StaffPasskey
from csrtool.partners.tests.test_browser_second_factor import (
    age_second_factor,
    sign_out,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def virtual_authenticator(page) -> tuple:
    """A security key plugged into this browser: it answers every prompt."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_a_partner_admin_adds_a_security_key_and_signs_in_with_it(
    cast, page, live_server
):
    cdp, authenticator = virtual_authenticator(page)
    browser_login(page, cast.alice)
    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_label("Name of the passkey or security key").fill("Desk key")
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(
        page.get_by_role("heading", name="Your recovery codes").first
    ).to_be_visible()
    assert page.locator("#recovery-codes li").count() == 10
    passkey = StaffPasskey.objects.get(user=cast.alice)
    assert passkey.name == "Desk key"
    credentials = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator}
    )
    assert len(credentials["credentials"]) == 1
    page.get_by_role("link", name="Back to Sign-in security").click()
    expect(page.get_by_role("cell", name="Desk key", exact=True)).to_be_visible()
    assert_accessible(page)

    # The next sign-in asks for the key after the password.
    sign_out(page)
    page.get_by_label("Email address").fill(cast.alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    assert_accessible(page)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/login/second-factor/")
    ) as sent:
        page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    answer = parse_qs(sent.value.post_data)["credential"][0]
    passed = AuditEvent.objects.filter(action="staff.second_factor_passed").last()
    assert passed.after == {
        "method": "passkey",
        "purpose": "sign_in",
        "name": "Desk key",
    }

    # The same answer sent again (from the same origin), in another sign-in
    # with a new challenge: refused.
    replay = Client(HTTP_HOST=urlsplit(live_server.url).netloc)
    replay.post("/login/", {"username": cast.alice.email, "password": PASSWORD})
    assert replay.post("/login/second-factor/passkey-options/").status_code == 200
    response = replay.post("/login/second-factor/", {"credential": answer})
    assert "was not accepted" in response.content.decode()
    assert replay.get("/").status_code == 302
    failed = AuditEvent.objects.filter(action="staff.second_factor_failed").last()
    assert failed.after == {"method": "passkey", "purpose": "sign_in"}

    # Creating an API key later asks for it again.
    age_second_factor(page, 16)
    page.get_by_role("link", name="API Keys").click()
    page.get_by_label("Name").fill("billing sync")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    page.get_by_label("Name").fill("billing sync")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Copy the new key now")).to_be_visible()
    assert ApiKey.objects.filter(name="billing sync").exists()


def test_a_key_this_site_does_not_know_is_refused(cast, page):
    """A browser whose authenticator holds no credential of the member's: the
    browser finds none to use, and nothing signs in."""
    from csrtool.conftest import give_authenticator

    give_authenticator(cast.alice)
    cdp, authenticator = virtual_authenticator(page)
    browser_login(page, cast.alice)
    page.get_by_role("link", name="Sign-in security").click()
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(page.get_by_text("Your passkey is added.")).to_be_visible()
    sign_out(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    virtual_authenticator(page)  # another key, unknown here
    page.get_by_label("Email address").fill(cast.alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_text("That did not work")).to_be_visible(timeout=15_000)
    assert "/login/second-factor/" in page.url


def test_a_required_member_sets_up_a_security_key_at_their_first_sign_in(
    cast, page, live_server
):
    cast.acme.second_factor_required_for = "all_staff"
    cast.acme.save()
    cdp, authenticator = virtual_authenticator(page)
    page.goto("/login/")
    page.get_by_label("Email address").fill(cast.avery.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="Set up your second factor")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name of the passkey or security key").fill("Badge key")
    page.get_by_role("button", name="Set up a passkey or security key").click()
    expect(
        page.get_by_role("heading", name="Your second factor is set up")
    ).to_be_visible()
    assert page.locator("#recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert StaffPasskey.objects.get(user=cast.avery).name == "Badge key"
    assert AuditEvent.objects.filter(
        action="staff.second_factor_added", target_id=str(cast.avery.pk)
    ).exists()
    # Signing in again asks for the key, and the key alone lets them in.
    sign_out(page)
    page.goto("/login/")
    page.get_by_label("Email address").fill(cast.avery.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
