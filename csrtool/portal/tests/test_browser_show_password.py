import pytest

from csrtool.conftest import assert_accessible
from csrtool.portal.tests.conftest import SAM_PASSWORD, activate


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sam_shows_the_password_typed_then_hides_it_again(page, cast):
    activate(cast.sam)
    page.goto("/portal/login/")
    field = page.get_by_label("Password")
    toggle = page.get_by_role("button", name="Show password")
    field.fill(SAM_PASSWORD)
    assert field.get_attribute("type") == "password"
    assert toggle.get_attribute("aria-pressed") == "false"
    assert toggle.get_attribute("aria-controls") == field.get_attribute("id")
    toggle.click()
    assert field.get_attribute("type") == "text"
    assert field.input_value() == SAM_PASSWORD
    assert toggle.get_attribute("aria-pressed") == "true"
    assert_accessible(page)
    toggle.press("Space")
    assert field.get_attribute("type") == "password"
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    page.get_by_label("Email address").fill(cast.sam.email)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_password_field_of_the_settings_page_has_its_own_toggle(page, cast):
    activate(cast.sam)
    page.goto("/portal/login/")
    page.get_by_label("Email address").fill(cast.sam.email)
    page.get_by_label("Password").fill(SAM_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/")
    page.get_by_role("link", name="Account Settings").click()
    toggles = page.get_by_role("button", name="Show password")
    fields = page.locator("input[data-show-password]")
    assert toggles.count() == fields.count() >= 4
    new_password = page.get_by_label("New password", exact=True)
    new_password.fill("saffron lighthouse gravel")
    page.locator(f"button[aria-controls='{new_password.get_attribute('id')}']").click()
    assert new_password.get_attribute("type") == "text"
    assert page.get_by_label("New password again").get_attribute("type") == "password"
    # The PIN fields are not passwords and get no toggle.
    assert page.locator("#id_pin-new_pin").get_attribute("type") == "password"
    assert page.locator("button[aria-controls='id_pin-new_pin']").count() == 0
    assert_accessible(page)
