"""A partner admin edits the welcome email in Chromium: the preview follows what
is typed and names a refused placeholder, saving keeps it, a test reaches their
own mailbox over SMTP; the pages are axe clean."""

import pytest
from playwright.sync_api import expect

from csrtool.conftest import assert_accessible, browser_login, run_jobs
from csrtool.onboarding.models import EmailTemplate

pytestmark = pytest.mark.browser


def test_a_partner_admin_writes_previews_saves_and_tests_the_welcome_email(
    cast, page, live_server, smtpd
):
    browser_login(page, cast.alice)
    page.get_by_role("link", name="Subscriber Emails").click()
    assert_accessible(page)
    page.get_by_role("link", name="Welcome").click()
    preview = page.frame_locator("iframe[name='email-preview']")
    subject = preview.locator("#subject")
    assert subject.inner_text() == "Welcome to CX Builder: set up your account"
    assert_accessible(page)

    page.get_by_label("Subject").fill("Your {{ product_name }} line, {{ first_name }}")
    # The frame is sandboxed (an origin of its own): read it through Playwright.
    expect(subject).to_have_text("Your CX Builder line, Alex")
    # The HTML part is shown in a frame of its own, sandboxed.
    html_part = preview.frame_locator("iframe[title='HTML part']")
    assert html_part.get_by_role("link", name="Set up my account").is_visible()

    page.get_by_label("Plain text").fill("Hi {{ partner.api_key }}")
    alert = preview.get_by_role("alert")
    alert.wait_for()
    assert "{{ partner.api_key }} is not allowed" in alert.inner_text()
    assert "{{ link }} is required" in alert.inner_text()
    page.get_by_label("Plain text").fill("Hi {{ first_name }}, start: {{ link }}")

    page.get_by_role("button", name="Save").click()
    page.get_by_text("The welcome email is saved.").wait_for()
    assert EmailTemplate.objects.get().subject == (
        "Your {{ product_name }} line, {{ first_name }}"
    )
    assert_accessible(page)

    page.get_by_role("button", name="Send a test to me").click()
    page.get_by_text("is on its way to alice@acme.example").wait_for()
    run_jobs()
    [message] = smtpd.to("alice@acme.example")
    assert message["Subject"] == "Your CX Builder line, Alex"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Hi Alex, start: http://")

    page.get_by_role("button", name="Reset to the built-in email").click()
    page.get_by_text("back to the built-in one").wait_for()
    assert not EmailTemplate.objects.exists()
