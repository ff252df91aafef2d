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
    add = page.get_by_role("form", name="Add a number")
    add.get_by_label("Phone Number").fill("800-555-1234")
    add.get_by_label("DNIS", exact=True).fill("8005551234")
    add.get_by_label("Type").select_option("tollfree")
    add.get_by_label("Country code").fill("1")
    add.get_by_label("Area code").fill("800")
    add.get_by_role("button", name="Add Number").click()
    page.get_by_text("8005551234 (+1 800-555-1234) was added to the pool.").wait_for()
    # The new number is in the pool's list beside the form.
    pool = page.get_by_role("table", name="Numbers of the pool")
    assert pool.get_by_role("link", name="+1 800-555-1234").is_visible()
    # A number with its country code is enough: the rest is taken from it.
    add.get_by_label("Phone Number").fill("+1 212 555 0142")
    add.get_by_label("Type").select_option("local")
    add.get_by_role("button", name="Add Number").click()
    page.get_by_text(
        "Taken from the number: DNIS 2125550142, country code 1, area code 212."
    ).wait_for()
    assert pool.get_by_role("link", name="+1 212-555-0142").is_visible()
    assert_accessible(page)

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
    assert PhoneNumber.objects.get(dnis="8005551234").subscriber == cast.sam

    page.get_by_role("button", name="Unassign").click()
    page.get_by_text("8005551234 is no longer assigned to Sam Sample").wait_for()
    assert PhoneNumber.objects.get(dnis="8005551234").status == NumberStatus.AGING


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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pool_list_filters_and_pages_and_a_csr_only_reads_it(cast, page):
    for n in range(52):
        make_number(cast.acme, f"21255501{n:02d}", number_type="local")
    make_number(cast.acme, "8005550100", status=NumberStatus.RETIRED)
    make_number(cast.globex, "8005550199")
    browser_login(page, cast.bob)

    page.get_by_role("navigation").get_by_role(
        "link", name="Number Pool (view only)"
    ).click()
    page.get_by_role("heading", name="Number Pool", exact=True).wait_for()
    assert page.get_by_role("button", name="Add Number").count() == 0
    pool = page.get_by_role("table", name="Numbers of the pool")
    assert pool.get_by_role("row").count() == 51  # a header and 50 rows
    assert_accessible(page)

    page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="First page").wait_for()
    assert pool.get_by_role("row").count() == 4
    assert "+1 212-555-0151" in pool.inner_text()
    assert "+1 800-555-0199" not in page.content()

    filters = page.get_by_role("form", name="Filter the pool")
    filters.get_by_label("State").select_option("retired")
    filters.get_by_label("Area code").fill("800")
    filters.get_by_role("button", name="Filter").click()
    page.get_by_text("1 number that matches").wait_for()
    assert pool.get_by_role("row").count() == 2
    assert "Retired" in pool.inner_text()
    assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_login_email_is_named_before_a_number_is_added_and_the_operator_filters(
    cast, page
):
    make_number(cast.globex, "8005550199")
    browser_login(page, cast.alice)
    page.goto("/numbers/admin/")
    add = page.get_by_role("form", name="Add a number")
    add.get_by_label("Phone Number").fill("+1 800 555 0142")
    add.get_by_label("Type").select_option("tollfree")
    add.get_by_label("Subscriber ID").fill("sam@customer.example")
    add.get_by_role("button", name="Add Number").click()
    page.get_by_text("is the login of Sam Sample").wait_for()
    assert not PhoneNumber.objects.filter(partner=cast.acme).exists()
    assert_accessible(page)
    add.get_by_role("button", name="Add Number").click()
    page.get_by_text("assigned to Sam Sample").wait_for()
    assert PhoneNumber.objects.get(dnis="8005550142").subscriber == cast.sam

    page.context.clear_cookies()
    browser_login(page, cast.olivia)
    page.goto("/numbers/admin/")
    filters = page.get_by_role("form", name="Filter the pool")
    filters.get_by_label("Partner").select_option("globex")
    filters.get_by_role("button", name="Filter").click()
    page.get_by_text("1 number that matches").wait_for()
    pool = page.get_by_role("table", name="Numbers of the pool")
    assert "+1 800-555-0199" in pool.inner_text()
    assert "+1 800-555-0142" not in pool.inner_text()
    assert_accessible(page)
