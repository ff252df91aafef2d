"""How the command line refuses: a reason, a non-zero exit, and JSON with --json.

Run as from a shell (run_from_argv), so the exit status and standard error are
what a script sees.
"""

import json
from unittest import mock

import pytest
from django.core.management import load_command_class

from csrtool.numberpool.tests.make import make_number


def shell(capsys, command, *args):
    """Run `csrtool COMMAND ARGS…`; return (exit status, stdout, stderr)."""
    app = {"numbers": "csrtool.numberpool", "subscribers": "csrtool.subscribers"}
    status = 0
    # A command closes its connections when done, as a process would; here that
    # would close the one holding the test's transaction.
    with mock.patch("csrtool.commands.connections.close_all"):
        try:
            load_command_class(app[command], command).run_from_argv(
                ["csrtool", command, *args]
            )
        except SystemExit as e:
            status = e.code
    out = capsys.readouterr()
    return status, out.out, out.err


NEW_ACCOUNT = [
    "add",
    "--first-name",
    "Ann",
    "--last-name",
    "Able",
    "--email",
    "ann@customer.example",
    "--phone",
    "+12125550142",
    "--billing-id",
    "B-9",
]


def test_choose_a_partner_names_the_option_and_the_slugs(cast, capsys):
    status, out, err = shell(capsys, "subscribers", *NEW_ACCOUNT)
    assert status == 1 and out == ""
    assert err == (
        "csrtool subscribers: Choose a partner. "
        "Use --partner with one of: acme, globex.\n"
    )


def test_a_member_of_staff_is_told_their_own_partner_only(cast, capsys):
    status, _, err = shell(
        capsys,
        "subscribers",
        *NEW_ACCOUNT,
        "--partner",
        "nope",
        "--as",
        "bob@acme.example",
    )
    assert status == 1
    assert "No partner has the slug 'nope'. Use --partner acme." in err
    assert "globex" not in err


def test_with_json_a_refusal_is_a_json_object_and_a_non_zero_exit(cast, capsys):
    status, out, err = shell(capsys, "subscribers", *NEW_ACCOUNT, "--json")
    assert status == 1 and out == ""
    assert json.loads(err) == {
        "error": "Choose a partner. Use --partner with one of: acme, globex.",
        "code": "partner_required",
    }
    status, _, err = shell(capsys, "subscribers", "show", "nope", "--json")
    assert status == 1
    assert json.loads(err) == {
        "error": "No subscriber has the Subscriber ID 'nope'.",
        "code": "not_found",
    }


def test_with_json_invalid_fields_come_with_their_messages(cast, capsys):
    args = [*NEW_ACCOUNT, "--partner", "acme", "--json"]
    args[args.index("+12125550142")] = "12"
    status, _, err = shell(capsys, "subscribers", *args)
    error = json.loads(err)
    assert status == 1
    assert error["code"] == "validation_failed"
    assert error["errors"] == {"phone": [error["error"]]}
    assert "Phone Number" in error["error"]


def test_with_json_a_mistyped_option_is_json_too(cast, capsys):
    status, out, err = shell(
        capsys, "numbers", "search", "555", "--limit", "x", "--json"
    )
    assert status == 2 and out == ""
    assert json.loads(err) == {
        "error": "argument --limit: must be a whole number from 1 to 500, not 'x'",
        "code": "usage",
    }


@pytest.mark.parametrize("value", ["0", "-5", "501"])
def test_a_limit_outside_1_to_500_is_refused_with_a_reason(cast, capsys, value):
    make_number(cast.acme, "8005551234")
    status, out, err = shell(capsys, "numbers", "search", "555", "--limit", value)
    assert status == 2 and out == ""
    assert f"argument --limit: must be from 1 to 500, not {value}" in err
    status, out, err = shell(capsys, "subscribers", "find", "sam", "--limit", value)
    assert status == 2 and out == ""
    assert f"argument --limit: must be from 1 to 500, not {value}" in err


def test_a_search_without_digits_is_refused_with_a_reason(cast, capsys):
    make_number(cast.acme, "8005551234")
    status, out, err = shell(capsys, "numbers", "search", "abc")
    assert status == 1 and out == ""
    assert err == (
        "csrtool numbers: Search needs digits of a number or DNIS, "
        "e.g. 555 or 800555; 'abc' has none.\n"
    )
    status, _, err = shell(capsys, "numbers", "search", "abc", "--json")
    assert json.loads(err)["code"] == "invalid_search"
    status, out, _ = shell(capsys, "numbers", "search", "555", "--limit", "1")
    assert status == 0 and "8005551234" in out


def test_every_csrtool_command_has_its_place_in_the_help():
    from django.core.management import get_commands

    from csrtool.cli import COMMAND_GROUPS

    ours = {name for name, app in get_commands().items() if app.startswith("csrtool")}
    listed = [name for _, names in COMMAND_GROUPS for name in names]
    assert ours <= set(listed)
    assert len(listed) == len(set(listed))
