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


LINE_STARTS = """(el) => {
    // The text of each line after the first, as the browser laid it out.
    const text = el.textContent;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const starts = [];
    let offset = 0, top = null, node;
    while ((node = walker.nextNode())) {
        for (let i = 0; i < node.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getClientRects()[0];
            if (rect && rect.width > 0) {
                if (top !== null && rect.top > top + 2) starts.push(offset + i);
                top = rect.top;
            }
        }
        offset += node.length;
    }
    return starts.map((i) => [text[i - 1], text[i]]);
}"""


def test_emails_and_ids_wrap_between_words_in_a_narrow_table(cast, page):
    for n in range(3):
        make_subscriber(
            cast.acme,
            email=f"first.middle.lastname{n}@subsidiary.customer.example",
        )
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login(page, cast.bob)
    page.goto("/subscribers/?q=subsidiary")
    emails = page.locator("table.results .breakable")
    assert emails.count() == 3
    wrapped = 0
    for i in range(emails.count()):
        breaks = page.evaluate(LINE_STARTS, emails.nth(i).element_handle())
        wrapped += bool(breaks)
        for before, first in breaks:
            assert before == "@" or first == ".", (before, first)
    assert wrapped, "at 360 px the addresses do wrap"
    for i in range(page.locator("table.results td code").count()):
        code = page.locator("table.results td code").nth(i)
        for before, _ in page.evaluate(LINE_STARTS, code.element_handle()):
            assert before == "-"
    assert_accessible(page)
