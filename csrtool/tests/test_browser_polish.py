"""Layout a first-time CSR noticed, measured in Chromium: pills never wrap
mid-word, radio buttons sit in front of their labels, the funnel says what it
counts."""

import pytest

from csrtool.conftest import assert_accessible, browser_login, make_subscriber
from csrtool.portal.tests.conftest import activate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _one_line(page, locator) -> bool:
    """Whether the element's text takes one line (its height is one line's)."""
    return page.evaluate(
        """(el) => {
            const style = getComputedStyle(el);
            const size = parseFloat(style.fontSize);
            const line = parseFloat(style.lineHeight) || size * 1.5;
            return el.getBoundingClientRect().height < line * 1.5 + 8;
        }""",
        locator.element_handle(),
    )


def test_status_pills_stay_whole_on_a_narrow_screen(cast, page):
    for n in range(3):
        make_subscriber(
            cast.acme,
            email=f"a.very.long.address.for.testing.{n}@customer.example",
            status="pending_activation",
        )
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login(page, cast.bob)
    page.goto("/subscribers/?q=customer.example")
    pills = page.locator("table.results .status")
    assert pills.count() >= 3
    for i in range(pills.count()):
        assert _one_line(page, pills.nth(i)), pills.nth(i).inner_text()


def test_the_caller_checks_radio_buttons_sit_in_front_of_their_labels(cast, page):
    activate(cast.sam)
    browser_login(page, cast.bob)
    page.goto(f"/subscribers/{cast.sam.public_id}/")
    for value, label in (("pin", "PIN"), ("answer", "Security answer")):
        radio = page.locator(f"#verify-method-{value}").bounding_box()
        text = page.locator(f"label[for=verify-method-{value}]").bounding_box()
        middle = radio["y"] + radio["height"] / 2
        assert text["y"] <= middle <= text["y"] + text["height"], label
        assert radio["x"] + radio["width"] <= text["x"], label
    assert_accessible(page)


def test_the_funnel_says_closed_accounts_are_not_counted(cast, page):
    browser_login(page, cast.bob)
    page.goto("/")
    caption = page.locator("#funnel-caption").inner_text()
    assert caption == "Onboarding funnel: 1 account, closed ones not counted"
    assert "open account" not in page.content()
