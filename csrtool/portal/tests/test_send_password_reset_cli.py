import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from csrtool.audit.models import AuditEvent
from csrtool.portal.tests.conftest import deliver_all

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
    with pytest.raises(CommandError, match="No subscriber has the Subscriber ID"):
        run(sam.public_id, "--as", cast.charlie.email)
    assert deliver_all() == []


def test_an_account_not_yet_active_gets_no_reset(cast):
    with pytest.raises(CommandError, match="Resend the welcome email instead"):
        run(cast.sam.public_id)
