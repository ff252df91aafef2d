import re

import pytest

from csrtool.conftest import assert_accessible, browser_login
from csrtool.portal.tests.conftest import (
    SAM_ANSWER,
    SAM_PASSWORD,
    SAM_PIN,
    activate,
    deliver_all,
    link_in,
)


def portal_sign_in(page, subscriber, password=SAM_PASSWORD):
    page.goto("/portal/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill(subscriber.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sam_changes_the_time_zone_and_sees_the_date_format_follow(page, cast):
    activate(cast.sam)
    portal_sign_in(page, cast.sam)
    assert page.get_by_text("M/d/yy").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Account Settings").click()
    assert_accessible(page)
    page.get_by_role("combobox", name="Time Zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Save time zone").click()
    page.get_by_text("Your time zone is saved").wait_for()
    assert page.locator("code", has_text="dd.MM.yy").is_visible()
    assert re.fullmatch(r"\d\d\.\d\d\.\d\d", page.locator("#sample-date").inner_text())
    page.get_by_label("New PIN", exact=True).fill("12")
    page.get_by_label("New PIN again").fill("12")
    page.locator("#id_pin-current_password").fill(SAM_PASSWORD)
    page.get_by_role("button", name="Change PIN").click()
    page.get_by_text("A PIN is 6 to 8 digits").first.wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Account", exact=True).click()
    assert page.get_by_text("dd.MM.yy").is_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_forgot_password_pages_are_accessible(page, cast):
    activate(cast.sam)
    page.goto("/portal/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    assert_accessible(page)
    page.get_by_label("Email address").fill(cast.sam.email)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_text("If an account uses that address").wait_for()
    assert_accessible(page)
    [message] = deliver_all()
    page.goto(link_in(message))
    page.wait_for_url("**/portal/reset/")
    assert_accessible(page)
    page.get_by_label("Answer").fill("wrong")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("That answer does not match").first.wait_for()
    assert_accessible(page)
    page.get_by_label("Answer").fill(SAM_ANSWER)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Choose a new password").wait_for()
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("quartz ember willow tide")
    page.get_by_label("New password again").fill("quartz ember willow tide")
    page.get_by_role("button", name="Set new password").click()
    page.wait_for_url("**/portal/login/")
    page.goto(link_in(message))
    page.get_by_role("heading", name="This link can no longer be used").wait_for()
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_csr_verifies_a_caller_in_the_browser(page, cast):
    activate(cast.sam)
    browser_login(page, cast.bob)
    page.goto(f"/subscribers/{cast.sam.public_id}/")
    assert_accessible(page)
    page.get_by_label("What the caller says").fill(SAM_PIN)
    page.get_by_role("button", name="Verify caller").click()
    page.get_by_text("Match.").wait_for()
    assert_accessible(page)
