"""A refused welcome email, corrected and resent from the subscriber page, in
Chromium with axe."""

import pytest

from csrtool.conftest import assert_accessible, browser_login, run_jobs
from csrtool.onboarding import services
from csrtool.subscribers.models import Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csr_corrects_a_refused_address_and_resends(cast, page, smtpd, actor_of):
    typo = "sam@custmer.example"
    Subscriber.objects.filter(pk=cast.sam.pk).update(email=typo, email_canonical=typo)
    cast.sam.refresh_from_db()
    smtpd.refuse_rcpt[typo] = "550 5.1.1 no such user"
    services.send_welcome(actor=actor_of(cast.bob), subscriber=cast.sam)
    run_jobs()

    browser_login(page, cast.bob)
    page.goto("/")
    page.get_by_text("1 welcome email failed").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Sam Sample").first.click()
    page.get_by_text("Welcome email failed:").wait_for()
    assert_accessible(page)

    page.get_by_label("Login email").fill("sam@customer.example")
    page.get_by_role("button", name="Resend welcome email").click()
    page.get_by_text(
        "A new welcome email is on its way to sam@customer.example"
    ).wait_for()
    assert page.get_by_text("Welcome email failed:").count() == 0
    assert_accessible(page)
    run_jobs()
    assert [m["To"] for m in smtpd.messages] == ["sam@customer.example"]
