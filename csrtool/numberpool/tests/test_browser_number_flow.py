import pytest

from csrtool.conftest import assert_accessible, browser_login
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import make_number


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_add_browse_assign_and_unassign_a_number(cast, page):
    browser_login(page, cast.alice)

    page.get_by_role("link", name="Number Pool Admin").click()
    assert_accessible(page)
    page.get_by_label("Phone Number").fill("800-555-1234")
    page.get_by_label("DNIS", exact=True).fill("8005551234")
    page.get_by_label("Type").select_option("tollfree")
    page.get_by_label("Country code").fill("1")
    page.get_by_label("Area code").fill("800")
    page.get_by_role("button", name="Add Number").click()
    page.get_by_text("8005551234 (+1 800-555-1234) was added to the pool.").wait_for()

    page.get_by_role("navigation").get_by_role(
        "link", name="Browse Available Numbers"
    ).click()
    page.get_by_label("Area code").fill("800")
    page.get_by_role("button", name="Filter").click()
    assert_accessible(page)
    page.get_by_role("link", name="+1 800-555-1234").click()
    page.get_by_role("heading", name="+1 800-555-1234").wait_for()
    assert_accessible(page)

    page.get_by_role("link", name="Assign", exact=True).click()
    assert page.get_by_label("Phone Number").input_value() == "8005551234"
    page.get_by_label("Subscriber ID").fill(cast.sam.public_id)
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text(
        "8005551234 is now assigned to Sam Sample "
        f"(Subscriber ID {cast.sam.public_id})."
    ).wait_for()
    assert_accessible(page)
    assert PhoneNumber.objects.get().subscriber_id == cast.sam.pk

    page.get_by_role("button", name="Unassign").click()
    page.get_by_text("8005551234 is no longer assigned to Sam Sample").wait_for()
    assert PhoneNumber.objects.get().status == NumberStatus.AGING


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_number_is_explained_accessibly(cast, page):
    browser_login(page, cast.bob)
    page.goto("/numbers/assign/")
    page.get_by_label("Phone Number").fill("800-555-0000")
    page.get_by_label("Subscriber ID").fill(cast.sam.public_id)
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("No number 800-555-0000 is in the pool.").wait_for()
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_retire_a_number_and_return_it_to_the_pool_from_its_page(cast, page):
    make_number(cast.acme, "8005551234")
    browser_login(page, cast.alice)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/numbers/8005551234/")
    page.get_by_label("Reason").fill("Carrier port-out")
    page.get_by_role("button", name="Retire").click()
    page.get_by_text("8005551234 is retired: nobody can be given it.").wait_for()
    assert_accessible(page)
    assert PhoneNumber.objects.get().status == NumberStatus.RETIRED

    page.get_by_role("button", name="Return to pool").click()
    page.get_by_text("8005551234 is back in the pool, available.").wait_for()
    assert PhoneNumber.objects.get().status == NumberStatus.AVAILABLE
