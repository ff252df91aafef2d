import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.numberpool.tests.make import events, make_number


def run(capsys, *args):
    call_command("numbers", *args)
    return capsys.readouterr().out


def test_the_operator_adds_a_number_to_a_partners_pool(cast, capsys):
    out = run(
        capsys,
        "add",
        "--partner",
        "acme",
        "--number",
        "800-555-1234",
        "--dnis",
        "8005551234",
        "--type",
        "tollfree",
        "--country-code",
        "1",
        "--json",
    )
    data = json.loads(out)
    assert data["number"] == "+18005551234"
    assert data["status"] == "available"
    assert PhoneNumber.objects.get().partner == cast.acme
    assert events("number.added")[0].channel == "cli"


def test_assign_show_unassign_and_remove_as_a_member_of_staff(cast, capsys):
    make_number(cast.acme, "8005551234")
    sam = cast.sam.public_id

    out = run(capsys, "assign", "800-555-1234", sam, "--as", "bob@acme.example")
    assert out.strip() == (
        f"8005551234 is now assigned to Sam Sample (Subscriber ID {sam})."
    )
    shown = json.loads(run(capsys, "show", "8005551234", "--json"))
    assert shown["subscriber_id"] == sam
    assert [o["subscriber_id"] for o in shown["owners"]] == [sam]

    run(capsys, "unassign", "8005551234", "--subscriber", sam)
    assert PhoneNumber.objects.get().status == NumberStatus.AGING
    run(capsys, "remove", "8005551234", "--as", "alice@acme.example")
    assert not PhoneNumber.objects.exists()


def test_search_lists_numbers_containing_the_digits(cast, capsys):
    make_number(cast.acme, "8005551234")
    make_number(cast.acme, "2125551299")
    make_number(cast.globex, "4155551200")

    found = json.loads(
        run(capsys, "search", "5551", "--json", "--as", "bob@acme.example")
    )

    assert [line["dnis"] for line in found] == ["2125551299", "8005551234"]


def test_available_browses_free_numbers_by_country_area_and_type_page_by_page(
    cast, capsys
):
    for dnis in ("2125550003", "2125550001", "2125550002", "2125550004"):
        make_number(cast.acme, dnis, number_type="local")
    make_number(cast.acme, "2125550005", number_type="tollfree")
    make_number(
        cast.acme, "2125550006", number_type="local", status=NumberStatus.RETIRED
    )
    make_number(cast.acme, "4155550001", number_type="local")
    make_number(cast.globex, "2125550000", number_type="local")
    browse = ("available", "--area", "212", "--type", "local", "--limit", "3")
    browse += ("--country", "US", "--as", "bob@acme.example")

    first = json.loads(run(capsys, *browse, "--json"))
    second = json.loads(run(capsys, *browse, "--after", first["next_after"], "--json"))

    assert [line["dnis"] for line in first["items"]] == [
        "2125550001",
        "2125550002",
        "2125550003",
    ]
    assert [line["dnis"] for line in second["items"]] == ["2125550004"]
    assert second["next_after"] is None
    text = run(capsys, *browse)
    assert "2125550001" in text and f"More: --after {first['next_after']}" in text
    assert "No number is free." in run(
        capsys, "available", "--area", "999", "--as", "bob@acme.example"
    )


def test_available_refuses_a_code_no_number_can_have(cast, capsys):
    with pytest.raises(CommandError) as e:
        run(capsys, "available", "--country", "Atlantis", "--as", "bob@acme.example")
    assert "A country code is digits, such as 44" in str(e.value)
    with pytest.raises(CommandError) as e:
        run(capsys, "available", "--area", "2l2", "--as", "bob@acme.example")
    assert str(e.value) == "An area code is digits, such as 212."


def test_refusals_exit_with_the_message(cast, capsys):
    make_number(
        cast.acme, "8005551234", status=NumberStatus.ASSIGNED, subscriber=cast.sam
    )
    with pytest.raises(CommandError) as e:
        run(capsys, "remove", "8005551234")
    assert "Unassign it first, then remove it." in str(e.value)
    with pytest.raises(CommandError) as e:
        run(
            capsys,
            "assign",
            "8005551234",
            cast.gus.public_id,
            "--as",
            "charlie@globex.example",
        )
    assert str(e.value) == "No number 8005551234 is in the pool."
    with pytest.raises(CommandError) as e:
        run(
            capsys,
            "add",
            "--number",
            "x",
            "--dnis",
            "1",
            "--type",
            "y",
            "--country-code",
            "1",
            "--partner",
            "acme",
        )
    assert "number: 'x' is not a valid phone number" in str(e.value)


def test_hold_and_expire(cast, capsys):
    make_number(cast.acme, "8005551234")
    out = run(capsys, "hold", "8005551234", cast.sam.public_id)
    assert out.startswith("8005551234 is held for Sam Sample until")
    assert run(capsys, "expire").strip() == "0 numbers freed."
