import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from csrtool.features.tests.conftest import enabled, events, give, make_plan, narrow
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID, assert_cli_answers_alike


def run(*args):
    out = StringIO()
    call_command("features", *args, stdout=out)
    return out.getvalue()


def test_list_shows_the_catalog_with_what_the_partner_may_grant(cast):
    narrow(cast.acme, "sms")
    rows = json.loads(run("list", "--json", "--as", "bob@acme.example"))
    by_key = {r["key"]: r for r in rows}
    assert by_key["sms"]["grantable"] is True
    assert by_key["web_chat"]["grantable"] is False
    assert by_key["outbound_campaigns"]["dependencies"] == ["voice_sites"]


def test_enable_and_disable_from_a_script(cast):
    out = run(
        "enable",
        cast.sam.public_id,
        "outbound_campaigns",
        "--with-dependencies",
        "--as",
        "bob@acme.example",
    )
    assert "Enabled Voice sites (IVR) and Outbound campaigns." in out
    assert enabled(cast.sam) == {"voice_sites", "outbound_campaigns"}
    data = json.loads(
        run(
            "disable",
            cast.sam.public_id,
            "voice_sites",
            "--with-dependents",
            "--json",
            "--as",
            "bob@acme.example",
        )
    )
    assert data["disabled"] == ["outbound_campaigns", "voice_sites"]
    assert events("subscriber.features_changed", cast.sam)[-1].channel == "cli"


def test_a_missing_dependency_is_a_clear_error(cast):
    with pytest.raises(CommandError, match="Outbound campaigns needs Voice sites"):
        run("enable", cast.sam.public_id, "outbound_campaigns")


def test_the_cli_cannot_enable_what_the_partner_may_not_grant(cast):
    narrow(cast.acme, "sms")
    with pytest.raises(CommandError, match="may not grant Web chat"):
        run("enable", cast.sam.public_id, "web_chat")
    assert enabled(cast.sam) == set()


def test_apply_plan_by_name_and_list_a_subscriber(cast):
    make_plan(cast.alice, "Voice", "voice_sites", "reporting")
    give(cast.sam, "sms", by=cast.bob)
    run("apply-plan", cast.sam.public_id, "Voice", "--as", "bob@acme.example")
    data = json.loads(run("list", cast.sam.public_id, "--json"))
    assert data["plan"] == "Voice"
    assert data["sources"] == {"voice_sites": "plan", "reporting": "plan"}


@pytest.mark.parametrize(
    "args",
    [
        ("features", "list", "{}"),
        ("features", "enable", "{}", "sms"),
        ("features", "disable", "{}", "sms"),
    ],
)
def test_charlie_cannot_reach_acmes_subscriber_from_the_cli(cast, args):
    give(cast.sam, "sms", by=cast.bob)
    answer = assert_cli_answers_alike(
        (*args, "--as", "charlie@globex.example"),
        foreign=cast.sam.public_id,
        unknown=UNKNOWN_SUBSCRIBER_ID,
    )
    assert answer["console_script"][2] == (
        "csrtool features: No subscriber has the Subscriber ID '<id>'.\n"
    )
    assert enabled(cast.sam) == {"sms"}
