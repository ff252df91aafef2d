from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import events, make_number

FIELDS = {
    "action": "add",
    "number": "800-555-1234",
    "dnis": "8005551234",
    "number_type": "tollfree",
    "country_code": "1",
    "area_code": "800",
    "subscriber_id": "",
}


def test_a_partner_admin_adds_a_number_and_sees_it_confirmed(cast, client_for):
    client = client_for(cast.alice)

    response = client.post("/numbers/admin/", FIELDS, follow=True)

    assert "8005551234 (+1 800-555-1234) was added to the pool." in response.text
    line = PhoneNumber.objects.get()
    assert (line.partner, line.status) == (cast.acme, NumberStatus.AVAILABLE)


def test_the_page_shows_the_add_number_and_remove_number_buttons(cast, client_for):
    response = client_for(cast.alice).get("/numbers/admin/")
    assert '<button type="submit">Add Number</button>' in response.text
    assert ">Remove Number</button>" in response.text
    assert '<label for="id_dnis">DNIS</label>' in response.text


def test_each_wrong_field_gets_its_message_next_to_it(cast, client_for):
    response = client_for(cast.alice).post(
        "/numbers/admin/", {**FIELDS, "dnis": "800555123x", "country_code": "44"}
    )
    assert response.status_code == 200
    assert "Please correct the 2 fields below." in response.text
    assert "DNIS must contain digits only, e.g. 8005551234." in response.text
    assert (
        "Country code 44 does not match the number +18005551234 (country code 1)."
        in response.text
    )
    assert 'aria-invalid="true"' in response.text
    assert not PhoneNumber.objects.exists()


def test_it_adds_a_number_already_assigned(cast, client_for):
    response = client_for(cast.alice).post(
        "/numbers/admin/", {**FIELDS, "subscriber_id": cast.sam.public_id}, follow=True
    )
    assert f"assigned to Sam Sample (Subscriber ID {cast.sam.public_id})." in (
        response.text
    )
    assert PhoneNumber.objects.get().subscriber == cast.sam


def test_it_removes_a_number_by_dnis(cast, client_for):
    make_number(cast.acme, "8005551234")
    response = client_for(cast.alice).post(
        "/numbers/admin/",
        {"action": "remove", "remove-dnis": "8005551234"},
        follow=True,
    )
    assert "8005551234 (+1 800-555-1234) was removed." in response.text
    assert not PhoneNumber.objects.exists()
    assert events("number.removed")


def test_removing_an_assigned_number_says_to_unassign_it_first(cast, client_for):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    response = client_for(cast.alice).post(
        "/numbers/admin/", {"action": "remove", "remove-dnis": "8005551234"}
    )
    assert "Unassign it first, then remove it." in response.text
    assert PhoneNumber.objects.exists()


def test_gina_cannot_remove_acmes_number(cast, client_for):
    make_number(cast.acme, "8005551234")
    response = client_for(cast.gina).post(
        "/numbers/admin/", {"action": "remove", "remove-dnis": "8005551234"}
    )
    assert "No number 8005551234 is in the pool." in response.text
    assert PhoneNumber.objects.exists()


def test_csrs_and_auditors_read_the_pool_but_cannot_change_it(cast, client_for):
    make_number(cast.acme, "8005550100")
    for user in (cast.bob, cast.avery):
        page = client_for(user).get("/numbers/admin/").text
        assert "<h1>Number Pool</h1>" in page
        assert "View only: partner admins add and remove numbers." in page
        assert 'href="/numbers/8005550100/"' in page
        assert "Add Number</button>" not in page
        assert "Remove Number</button>" not in page
        assert client_for(user).post("/numbers/admin/", FIELDS).status_code == 404
        removal = {"action": "remove", "remove-dnis": "8005550100"}
        assert client_for(user).post("/numbers/admin/", removal).status_code == 404
    assert list(PhoneNumber.objects.values_list("dnis", flat=True)) == ["8005550100"]


def test_the_menu_says_who_only_reads_the_pool(cast, client_for):
    def menu(user):
        page = client_for(user).get("/").text
        return page[page.index('class="sidemenu"') : page.index("</nav>")]

    assert ">Number Pool Admin</a>" in menu(cast.alice)
    assert "Number Pool (view only)" not in menu(cast.alice)
    for user in (cast.bob, cast.avery):
        assert '<a href="/numbers/admin/"' in menu(user)
        assert ">Number Pool (view only)</a>" in menu(user)
        assert "Number Pool Admin" not in menu(user)


def test_the_operator_picks_the_partner(cast, client_for):
    client = client_for(cast.olivia)
    response = client.post("/numbers/admin/", {**FIELDS, "partner": "acme"})
    assert response.status_code == 302
    assert PhoneNumber.objects.get().partner == cast.acme
