"""The second factor in Chromium: codes are computed by the test from the secret
it reads off the page, as an authenticator app would."""

import time
from importlib import import_module

import pytest
from django.conf import settings
from playwright.sync_api import expect

from csrtool.api.models import ApiKey
from csrtool.audit.models import AuditEvent
from csrtool.conftest import PASSWORD, assert_accessible, browser_login, totp_code
from csrtool.partners.second_factor_views import PASSED_AT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, user):
    page.goto("/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def read_secret(page) -> str:
    return page.locator("#totp-secret").inner_text()


def read_recovery_codes(page) -> list[str]:
    return page.locator("#recovery-codes li").all_inner_texts()


def next_code(secret: str, used: set[str]) -> str:
    """The app's code now, or its next one when now's was already used."""
    for ahead in (0, 1):
        code = totp_code(secret, steps_ahead=ahead)
        if code not in used:
            used.add(code)
            return code
    raise AssertionError("both codes used")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="CSR Tool sign in")).to_be_visible()


def test_a_csr_sets_up_an_app_signs_in_with_it_and_with_recovery_codes(cast, page):
    used: set[str] = set()
    browser_login(page, cast.bob)
    page.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_text("Not set up.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(
        page.get_by_role("img", name="QR code for your authenticator app")
    ).to_be_visible()
    assert_accessible(page)
    secret = read_secret(page)
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Confirm and turn it on").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    time.sleep(1.1)  # the device's own wait after a wrong code
    page.get_by_label("Code from your app").fill(next_code(secret, used))
    page.get_by_role("button", name="Confirm and turn it on").click()
    expect(
        page.get_by_role("heading", name="Your recovery codes").first
    ).to_be_visible()
    codes = read_recovery_codes(page)
    assert len(codes) == 10
    assert_accessible(page)

    # Signing in now asks for a code from the app after the password.
    sign_out(page)
    password_step(page, cast.bob)
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    assert_accessible(page)
    page.goto("/subscribers/")
    assert "/login/" in page.url  # not signed in between the two steps
    page.goto("/login/second-factor/")
    code = next_code(secret, used)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The same code again is a replay: refused.
    sign_out(page)
    password_step(page, cast.bob)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    assert_accessible(page)

    # A recovery code signs in once.
    time.sleep(1.1)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You signed in with a recovery code")).to_be_visible()
    expect(page.get_by_text("9 left")).to_be_visible()
    sign_out(page)
    password_step(page, cast.bob)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    time.sleep(2.1)
    page.get_by_label("Code").fill(codes[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("8 left")).to_be_visible()

    outcomes = list(
        AuditEvent.objects.filter(action__startswith="staff.second_factor")
        .order_by("id")
        .values_list("action", "outcome")
    )
    assert outcomes == [
        ("staff.second_factor_failed", "failure"),
        ("staff.second_factor_added", "success"),
        ("staff.second_factor_passed", "success"),
        ("staff.second_factor_failed", "failure"),
        ("staff.second_factor_passed", "success"),
        ("staff.second_factor_failed", "failure"),
        ("staff.second_factor_passed", "success"),
    ]


def test_a_required_member_sets_it_up_at_their_first_sign_in(cast, page):
    cast.acme.second_factor_required_for = "all_staff"
    cast.acme.save()
    password_step(page, cast.avery)
    expect(
        page.get_by_role("heading", name="Set up your second factor")
    ).to_be_visible()
    expect(page.get_by_text("Acme Telecom requires a second factor")).to_be_visible()
    assert_accessible(page)
    page.goto("/audit/")
    assert "/login/" in page.url
    page.goto("/login/second-factor/set-up/")

    secret = read_secret(page)
    page.get_by_label("Code from your app").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm and turn it on").click()
    expect(
        page.get_by_role("heading", name="Your second factor is set up")
    ).to_be_visible()
    assert len(read_recovery_codes(page)) == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/audit/")
    expect(page.get_by_role("heading", name="Audit Log")).to_be_visible()


def age_second_factor(page, minutes: int) -> None:
    """As if the second factor was passed `minutes` ago in this session."""
    cookie = next(
        c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore(cookie["value"])
    store[PASSED_AT] = int(time.time()) - minutes * 60
    store.save()


def test_creating_an_api_key_asks_for_the_code_again_after_15_minutes(cast, page):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from csrtool.conftest import give_authenticator, unused_code

    give_authenticator(cast.alice)
    browser_login(page, cast.alice)
    age_second_factor(page, 16)
    page.get_by_role("link", name="API Keys").click()
    page.get_by_label("Name").fill("crm")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(
        page.get_by_text("Confirm it is you with your second factor")
    ).to_be_visible()
    assert_accessible(page)
    assert not ApiKey.objects.filter(name="crm").exists()

    page.get_by_label("Code").fill(unused_code(TOTPDevice.objects.get(user=cast.alice)))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    page.get_by_label("Name").fill("crm")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Copy the new key now")).to_be_visible()
    assert ApiKey.objects.filter(name="crm").exists()


def test_an_admin_resets_a_lost_factor_from_the_staff_page(cast, page):
    from csrtool.conftest import give_authenticator
    from csrtool.partners import second_factor

    give_authenticator(cast.bob)
    give_authenticator(cast.alice)
    browser_login(page, cast.alice)
    page.goto(f"/staff/{cast.bob.pk}/")
    expect(page.get_by_text("signs in with: authenticator app")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Reason").fill("Lost phone, called back on file number")
    page.get_by_role("button", name="Reset second factor").click()
    expect(
        page.get_by_text("bob@acme.example's second factor is reset")
    ).to_be_visible()
    assert not second_factor.enrolled(cast.bob)
    event = AuditEvent.objects.get(action="staff.second_factor_reset")
    assert event.reason == "Lost phone, called back on file number"
