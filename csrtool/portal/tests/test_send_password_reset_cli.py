import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from csrtool.audit.models import AuditEvent
from csrtool.portal.tests.conftest import deliver_all
from csrtool.tests.answers import UNKNOWN_SUBSCRIBER_ID, assert_cli_answers_alike

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("sendpasswordreset", *args, stdout=out)
    return out.getvalue()


def test_the_operator_sends_a_reset_link_from_the_command_line(sam):
    output = json.loads(run(sam.public_id, "--json"))
    assert output["recipient"] == sam.email
    [message] = deliver_all()
    assert message.to == [sam.email]
    event = AuditEvent.objects.get(action="portal.password_reset_email_queued")
    assert event.channel == "cli"


def test_staff_of_another_partner_get_an_unknown_subscriber(sam, cast):
    answer = assert_cli_answers_alike(
        ("sendpasswordreset", "{}", "--as", cast.charlie.email),
        foreign=sam.public_id,
        unknown=UNKNOWN_SUBSCRIBER_ID,
    )
    assert answer["console_script"][2] == (
        "csrtool sendpasswordreset: No subscriber has the Subscriber ID '<id>'.\n"
    )
    assert deliver_all() == []
    assert not AuditEvent.objects.filter(
        action="portal.password_reset_email_queued"
    ).exists()


def test_an_account_not_yet_active_gets_no_reset(cast):
    with pytest.raises(CommandError, match="Resend the welcome email instead"):
        run(cast.sam.public_id)
