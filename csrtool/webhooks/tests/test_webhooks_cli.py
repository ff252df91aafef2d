"""csrtool webhooks …: the same endpoints from the command line."""

import json

from django.core.management import call_command

from csrtool.conftest import run_jobs
from csrtool.partners.access import staff_actor
from csrtool.subscribers.services import update_subscriber
from csrtool.tests.answers import assert_cli_answers_alike
from csrtool.webhooks.models import WebhookEndpoint
from csrtool.webhooks.tests.receiver import verify


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_an_admin_adds_lists_and_reads_the_log(cast, receiver):
    added = json.loads(
        run(
            "webhooks",
            "add",
            "--url",
            receiver.url,
            "--type",
            "subscriber.updated",
            "--as",
            "alice@acme.example",
            "--json",
        )
    )
    assert added["secret"].startswith("whsec_") and added["partner"] == "acme"
    update_subscriber(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id="C-1"
    )
    run_jobs()
    verify(added["secret"], *receiver.requests[0])

    listed = json.loads(run("webhooks", "list", "--as", "alice@acme.example", "--json"))
    assert [e["id"] for e in listed] == [added["id"]]
    assert "secret" not in listed[0]
    log = json.loads(
        run(
            "webhooks",
            "deliveries",
            added["id"],
            "--as",
            "alice@acme.example",
            "--json",
        )
    )
    assert log[0]["status"] == "delivered"
    assert log[0]["attempt_log"][0]["status_code"] == 200


def test_another_partners_admin_cannot_touch_the_endpoint(cast):
    added = json.loads(
        run(
            "webhooks",
            "add",
            "--url",
            "https://hooks.example.com/a",
            "--partner",
            "acme",
            "--json",
        )
    )
    gina = ["--as", "gina@globex.example", "--json"]
    for args in (
        ["deliveries", "{}"],
        ["rotate", "{}"],
        ["remove", "{}"],
        ["edit", "{}", "--disable"],
        ["send-again", "{}", "--event", "evt_x"],
    ):
        answer = assert_cli_answers_alike(
            ["webhooks", *args, *gina], foreign=added["id"], unknown="ep_nobody"
        )
        assert '"not_found"' in answer["console_script"][2]
    listed = json.loads(run("webhooks", "list", *gina))
    assert listed == []
    assert WebhookEndpoint.objects.get().is_enabled


def test_the_operator_reads_every_partners_events(cast):
    update_subscriber(
        actor=staff_actor(cast.bob), public_id=cast.sam.public_id, billing_id="C-2"
    )
    update_subscriber(
        actor=staff_actor(cast.charlie), public_id=cast.gus.public_id, billing_id="C-3"
    )
    feed = json.loads(run("events", "--json"))
    assert {e["partner"] for e in feed["items"]} == {"acme", "globex"}
    more = json.loads(run("events", "--after", feed["next_cursor"], "--json"))
    assert more["items"] == []
    acme = json.loads(run("events", "--as", "bob@acme.example", "--json"))
    assert {e["partner"] for e in acme["items"]} == {"acme"}
