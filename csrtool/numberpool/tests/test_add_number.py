import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from csrtool.errors import NotFound, PermissionDenied, ValidationFailed
from csrtool.numberpool.models import NumberAssignment, NumberStatus, PhoneNumber
from csrtool.numberpool.services import add_number
from csrtool.numberpool.tests.make import events, make_number


def add(actor, **fields):
    values = {
        "number": "800-555-1234",
        "dnis": "8005551234",
        "number_type": "tollfree",
        "country_code": "1",
        "area_code": "800",
    }
    values.update(fields)
    return add_number(actor=actor, **values)


def errors_of(actor, **fields):
    with pytest.raises(ValidationFailed) as e:
        add(actor, **fields)
    return e.value.errors


def test_it_adds_an_available_number_stored_as_e164(cast, actor_of):
    line = add(actor_of(cast.alice), number="+1 800 555 1234")

    assert line.number == "+18005551234"
    assert line.dnis == "8005551234"
    assert line.partner == cast.acme
    assert line.status == NumberStatus.AVAILABLE
    [event] = events("number.added")
    assert event.target_id == "8005551234"
    assert event.after["number"] == "+18005551234"
    assert event.partner == cast.acme


@pytest.mark.parametrize(
    "typed", ["800-555-1234", "(800) 555-1234", "+1 800 555 1234", "8005551234"]
)
def test_it_reads_the_number_in_any_common_format(cast, actor_of, typed):
    assert add(actor_of(cast.alice), number=typed).number == "+18005551234"


def test_it_adds_a_number_already_assigned_to_a_subscriber(cast, actor_of):
    line = add(actor_of(cast.alice), subscriber_id=cast.sam.public_id)

    assert line.status == NumberStatus.ASSIGNED
    assert line.subscriber == cast.sam
    [assignment] = NumberAssignment.objects.all()
    assert assignment.subscriber == cast.sam
    assert assignment.assigned_by == cast.alice
    assert [e.action for e in events()] == ["number.added", "number.assigned"]


def test_it_fills_the_area_code_from_the_number_when_left_empty(cast, actor_of):
    line = add(
        actor_of(cast.gina),
        number="+44 20 7946 0000",
        dnis="2079460000",
        number_type="local",
        country_code="44",
        area_code="",
    )
    assert line.area_code == "20"
    assert line.country_code == "44"


def test_it_reads_numbers_without_plus_in_the_partner_country(cast, actor_of):
    line = add(
        actor_of(cast.gina),
        number="020 7946 0000",
        dnis="02079460000",
        number_type="local",
        country_code="44",
        area_code="20",
    )
    assert line.number == "+442079460000"


def test_it_explains_every_wrong_field_at_once(cast, actor_of):
    errors = errors_of(
        actor_of(cast.alice),
        number="",
        dnis="800-555",
        number_type="mobile",
        country_code="",
        area_code="8x",
    )
    assert errors == {
        "number": ["Phone Number is required."],
        "dnis": ["DNIS must contain digits only, e.g. 8005551234."],
        "number_type": [
            "Type must be one of: tollfree, local, intl_local, intl_tollfree."
        ],
        "country_code": ["Country code is required, e.g. 1 or 44."],
        "area_code": ["Area code must contain digits only, e.g. 800."],
    }


def test_it_refuses_something_that_is_not_a_phone_number(cast, actor_of):
    errors = errors_of(actor_of(cast.alice), number="555-12")
    assert errors["number"][0].startswith("'555-12' is not a valid phone number")


def test_it_refuses_a_dnis_that_does_not_match_the_number(cast, actor_of):
    errors = errors_of(actor_of(cast.alice), dnis="8005559999")
    assert errors == {
        "dnis": [
            "DNIS 8005559999 does not match the number +18005551234: "
            "it should be the number's digits, e.g. 8005551234."
        ]
    }


def test_it_accepts_the_dnis_with_the_country_code(cast, actor_of):
    assert add(actor_of(cast.alice), dnis="18005551234").dnis == "18005551234"


def test_it_refuses_a_country_code_that_does_not_match_the_number(cast, actor_of):
    errors = errors_of(actor_of(cast.alice), country_code="44")
    assert errors == {
        "country_code": [
            "Country code 44 does not match the number +18005551234 (country code 1)."
        ]
    }


def test_it_refuses_an_area_code_that_does_not_match_the_number(cast, actor_of):
    errors = errors_of(actor_of(cast.alice), area_code="212")
    assert errors == {
        "area_code": ["Area code 212 does not match the number +18005551234."]
    }


def test_it_refuses_a_dnis_already_in_any_partners_pool(cast, actor_of):
    make_number(cast.globex, "8005551234")

    errors = errors_of(actor_of(cast.alice))

    assert errors["dnis"] == ["This DNIS is already in the pool of this installation."]
    assert PhoneNumber.objects.count() == 1


def test_it_refuses_a_number_already_in_the_pool(cast, actor_of):
    add(actor_of(cast.alice))

    errors = errors_of(actor_of(cast.alice), dnis="18005551234")

    assert errors == {
        "number": ["This phone number is already in the pool of this installation."]
    }


def test_it_refuses_an_unknown_or_foreign_subscriber(cast, actor_of):
    with pytest.raises(NotFound) as e:
        add(actor_of(cast.alice), subscriber_id=cast.gus.public_id)
    assert e.value.message == (
        f"No subscriber has the Subscriber ID {cast.gus.public_id!r}."
    )
    assert not PhoneNumber.objects.exists()
    assert not events()


def test_only_partner_admins_manage_the_pool(cast, actor_of):
    for user in (cast.bob, cast.avery):
        with pytest.raises(PermissionDenied):
            add(actor_of(user))
    assert not PhoneNumber.objects.exists()


def test_the_operator_adds_to_the_partner_it_picks(cast, cli):
    line = add(cli, partner=cast.acme)
    assert line.partner == cast.acme
    with pytest.raises(NotFound) as e:
        add(cli, dnis="8005551235", number="800-555-1235")
    assert e.value.message == "Choose a partner."


# A full international number fills in what was left blank.


def test_a_number_with_its_country_code_fills_in_dnis_country_and_area(cast, actor_of):
    line = add(
        actor_of(cast.alice),
        number="+1 212 555 0142",
        number_type="local",
        dnis="",
        country_code="",
        area_code="",
    )
    assert (line.number, line.dnis) == ("+12125550142", "2125550142")
    assert (line.country_code, line.area_code) == ("1", "212")


def test_a_foreign_number_gets_a_dnis_with_its_country_code(cast, actor_of):
    line = add(
        actor_of(cast.alice),
        number="+44 20 7946 0142",
        number_type="intl_local",
        dnis="",
        country_code="",
        area_code="",
    )
    assert (line.dnis, line.country_code, line.area_code) == (
        "442079460142",
        "44",
        "20",
    )
    # In Globex's own country (Europe/London), the national digits.
    line = add(
        actor_of(cast.gina),
        number="+44 20 7946 0143",
        number_type="local",
        dnis="",
        country_code="",
        area_code="",
    )
    assert line.dnis == "2079460143"


def test_a_number_without_its_country_code_still_needs_dnis_and_country(cast, actor_of):
    errors = errors_of(actor_of(cast.alice), dnis="", country_code="")
    assert errors["dnis"] == [
        "DNIS is required: the digits the carrier delivers. "
        "Or give the number with + and its country code."
    ]
    assert errors["country_code"] == ["Country code is required, e.g. 1 or 44."]


def test_a_dnis_given_with_a_full_number_must_still_match_it(cast, actor_of):
    errors = errors_of(
        actor_of(cast.alice), number="+1 800 555 1234", dnis="8005559999"
    )
    assert errors == {
        "dnis": [
            "DNIS 8005559999 does not match the number +18005551234: "
            "it should be the number's digits, e.g. 8005551234."
        ]
    }
    assert not PhoneNumber.objects.exists()


def test_the_page_says_what_it_took_from_the_number(cast, client_for):
    response = client_for(cast.alice).post(
        "/numbers/admin/",
        {"action": "add", "number": "+1 800 555 1234", "number_type": "tollfree"},
        follow=True,
    )
    assert (
        "8005551234 (+1 800-555-1234) was added to the pool. Taken from the number: "
        "DNIS 8005551234, country code 1, area code 800."
    ) in response.text
    # The form no longer makes the browser insist on them.
    form = client_for(cast.alice).get("/numbers/admin/").text
    assert (
        re.search(r'<input[^>]*name="dnis"[^>]*>', form).group(0).count("required") == 0
    )


def test_the_command_line_fills_them_in_too(cast, capsys):
    call_command(
        "numbers",
        "add",
        "--number",
        "+1 800 555 1234",
        "--type",
        "tollfree",
        "--as",
        "alice@acme.example",
    )
    assert capsys.readouterr().out.startswith("Added 8005551234  +1 800-555-1234")
    assert PhoneNumber.objects.get().country_code == "1"


# The Subscriber ID of an added number may be the login email.


def test_the_service_takes_the_subscribers_login_email(cast, actor_of):
    line = add(actor_of(cast.alice), subscriber_id="SAM@customer.example")
    assert line.subscriber == cast.sam
    with pytest.raises(NotFound):
        add(
            actor_of(cast.alice),
            number="+1 800 555 1235",
            dnis="8005551235",
            subscriber_id=cast.gus.email,
        )


def test_the_page_says_which_account_a_login_email_is_before_adding(cast, client_for):
    client = client_for(cast.alice)
    fields = {
        "action": "add",
        "number": "+1 800 555 1234",
        "number_type": "tollfree",
        "subscriber_id": "sam@customer.example",
    }
    page = client.post("/numbers/admin/", fields).text
    assert (
        "sam@customer.example is the login of <strong>Sam Sample</strong> "
        f"(Subscriber ID <code>{cast.sam.public_id}</code>). Nothing was added yet"
    ) in page
    assert f'value="{cast.sam.public_id}"' in page
    assert not PhoneNumber.objects.exists()

    fields["subscriber_id"] = cast.sam.public_id
    page = client.post("/numbers/admin/", fields, follow=True).text
    assert f"assigned to Sam Sample (Subscriber ID {cast.sam.public_id})" in page
    assert PhoneNumber.objects.get().subscriber == cast.sam


def test_the_page_refuses_another_partners_login_email_like_an_unknown_one(
    cast, client_for
):
    page = (
        client_for(cast.alice)
        .post(
            "/numbers/admin/",
            {
                "action": "add",
                "number": "+1 800 555 1234",
                "number_type": "tollfree",
                "subscriber_id": cast.gus.email,
            },
        )
        .text
    )
    assert f"No subscriber has the login email {cast.gus.email!r}." in page.replace(
        "&#x27;", "'"
    )
    assert "is the login of" not in page
    assert not PhoneNumber.objects.exists()


def test_the_command_line_adds_and_assigns_by_login_email(cast, capsys):
    call_command(
        "numbers",
        "add",
        "--number",
        "+1 800 555 1234",
        "--type",
        "tollfree",
        "--subscriber",
        "sam@customer.example",
        "--as",
        "alice@acme.example",
    )
    out = capsys.readouterr().out
    assert f"Assigned to Sam Sample (Subscriber ID {cast.sam.public_id})." in out

    make_number(cast.acme, "8005550100")
    call_command(
        "numbers",
        "assign",
        "8005550100",
        "sam@customer.example",
        "--as",
        "bob@acme.example",
    )
    sam = cast.sam.public_id
    assert capsys.readouterr().out.strip() == (
        f"8005550100 is now assigned to Sam Sample (Subscriber ID {sam})."
    )
    with pytest.raises(CommandError, match="No subscriber has the login email"):
        call_command(
            "numbers",
            "assign",
            "8005550100",
            cast.gus.email,
            "--as",
            "bob@acme.example",
        )
