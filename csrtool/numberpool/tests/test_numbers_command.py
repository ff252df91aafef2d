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
