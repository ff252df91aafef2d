"""The subscriber page as the hub, and the pages that carry the subscriber, in
Chromium with axe."""

import pytest

from csrtool.conftest import assert_accessible, browser_login
from csrtool.features.tests.conftest import enabled
from csrtool.numberpool.tests.make import make_number
from csrtool.portal.tests.conftest import SAM_QUESTION, activate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_csr_finishes_a_subscriber_from_its_page(cast, page):
    make_number(cast.acme, "8005550100")
    make_number(cast.acme, "2125550177", number_type="local")
    browser_login(page, cast.bob)
    page.goto(f"/subscribers/{cast.sam.public_id}/")
    assert_accessible(page)

    page.get_by_label("Find a number").fill("0177")
    page.get_by_text("1 available number containing 0177").wait_for()
    page.get_by_label("+1 212-555-0177").check()
    page.get_by_role("button", name="Assign the chosen number").click()
    page.get_by_text("2125550177 is now assigned to Sam Sample").wait_for()
    assert page.url.endswith(f"/subscribers/{cast.sam.public_id}/#numbers")
    assert_accessible(page)

    page.locator("#enable-features ~ form").get_by_label("SMS").check()
    page.get_by_role("button", name="Save features").click()
    page.get_by_text("Sam Sample: Enabled SMS.").wait_for()
    assert enabled(cast.sam) == {"sms"}
    assert_accessible(page)


def test_pages_that_carry_the_subscriber_are_accessible(cast, page):
    make_number(cast.acme, "8005550100")
    activate(cast.sam)
    browser_login(page, cast.bob)
    carry = f"?subscriber={cast.sam.public_id}"

    page.goto(f"/subscribers/{cast.sam.public_id}/")
    assert SAM_QUESTION in page.locator("#security-question").inner_text()
    assert_accessible(page)

    page.goto(f"/numbers/available/{carry}")
    assert_accessible(page)
    page.get_by_role("link", name="+1 800-555-0100").click()
    assert_accessible(page)
    page.get_by_role("button", name="Assign to Sam Sample").click()
    page.get_by_text("8005550100 is now assigned to Sam Sample").wait_for()
    assert_accessible(page)
    page.get_by_role("navigation", name="Working for").get_by_role(
        "link", name="Enable CX Builder features"
    ).click()
    assert page.url.endswith(f"/subscribers/{cast.sam.public_id}/#enable-features")
    page.locator("#enable-features").wait_for()
    assert_accessible(page)

    page.goto("/numbers/assign/")
    page.get_by_label("Phone Number").fill("8005550100")
    page.get_by_label("Subscriber ID").fill("sam@customer.example")
    page.get_by_role("button", name="Unassign").click()
    page.get_by_text("is the login of").wait_for()
    assert_accessible(page)
