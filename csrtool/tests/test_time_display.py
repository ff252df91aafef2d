"""One way to show time: every staff page in the viewer's zone with the zone named,
one format per kind; the command line as the pages in text and as the API in JSON."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management import call_command

from csrtool.numberpool.models import NumberAssignment, NumberStatus
from csrtool.numberpool.tests.make import make_number
from csrtool.timezones import rfc3339

# 02:30 UTC on 7 March: still the 6th in New York, the 7th in London.
MOMENT = datetime(2026, 3, 7, 2, 30, tzinfo=UTC)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_the_subscriber_page_shows_moments_in_each_viewers_own_zone(cast, client_for):
    cast.sam.created_at = MOMENT
    cast.sam.save(update_fields=["created_at"])
    url = f"/subscribers/{cast.sam.public_id}/"

    bob_sees = client_for(cast.bob).get(url).content.decode()  # New York
    olivia_sees = client_for(cast.olivia).get(url).content.decode()  # UTC

    exact = '<time datetime="2026-03-07T02:30:00Z">'
    assert f"{exact}3/6/26 21:30 EST</time>" in bob_sees
    assert f"{exact}2026-03-07 02:30 UTC</time>" in olivia_sees


def test_the_same_moment_reads_alike_on_every_staff_page(cast, client_for):
    """A held number's end on the number's page, the subscriber's panel and the
    pool's assignment history: one format, the viewer's."""
    cast.bob.time_zone = "Europe/Berlin"
    cast.bob.save(update_fields=["time_zone"])
    line = make_number(
        cast.acme,
        status=NumberStatus.ASSIGNED,
        subscriber=cast.sam,
    )
    NumberAssignment.objects.filter(number=line).update(assigned_at=MOMENT)
    client = client_for(cast.bob)

    number_page = client.get(f"/numbers/{line.dnis}/").content.decode()
    assert "07.03.26 03:30 CET" in number_page


def test_the_api_keys_page_and_the_audit_log_name_the_zone(cast, client_for):
    from csrtool.api.services import create_api_key
    from csrtool.audit.models import AuditEvent
    from csrtool.partners.access import staff_actor

    key, _ = create_api_key(actor=staff_actor(cast.alice), name="Billing")
    type(key).objects.filter(pk=key.pk).update(created_at=MOMENT)
    client = client_for(cast.alice)
    assert "3/6/26 21:30 EST</time> by alice@acme.example" in (
        client.get("/settings/api-keys/").content.decode()
    )

    # Audit rows cannot be changed: read the moment the row was written.
    event = AuditEvent.objects.get(action="api_key.created")
    local = event.created_at.astimezone(ZoneInfo("America/New_York"))
    shown = f"{local:%-m/%-d/%y %H:%M} {local.tzname()}"
    assert f'<time datetime="{rfc3339(event.created_at)}">{shown}</time>' in (
        client.get("/audit/").content.decode()
    )


def test_no_staff_template_formats_a_moment_by_hand():
    """Every moment on a staff page goes through `moment` or `day`; only the
    subscriber's own pages and emails use the subscriber's zone."""
    by_hand = re.compile(r"\|date:|\|time:|\|in_zone|\|date_in_zone")
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if "portal" not in path.parts
        and "emails" not in path.parts
        and by_hand.search(path.read_text())
    ]
    assert offenders == []


def _assigned_at_moment(cast):
    line = make_number(cast.acme, status=NumberStatus.ASSIGNED, subscriber=cast.sam)
    NumberAssignment.objects.filter(number=line).update(assigned_at=MOMENT)
    return line


def test_the_command_line_prints_moments_in_the_as_users_zone(cast, capsys):
    line = _assigned_at_moment(cast)

    call_command("numbers", "show", line.dnis, "--as", "bob@acme.example")
    assert f"{cast.sam.public_id}  3/6/26 21:30 EST → now" in capsys.readouterr().out

    cast.bob.time_zone = "Asia/Tokyo"
    cast.bob.save(update_fields=["time_zone"])
    call_command("numbers", "show", line.dnis, "--as", "bob@acme.example")
    assert "2026/03/07 11:30 JST → now" in capsys.readouterr().out


def test_the_command_line_prints_the_operators_moments_in_tz_or_utc(
    cast, capsys, monkeypatch
):
    line = _assigned_at_moment(cast)

    call_command("numbers", "show", line.dnis)
    assert "2026-03-07 02:30 UTC → now" in capsys.readouterr().out

    monkeypatch.setenv("TZ", "Europe/London")
    call_command("numbers", "show", line.dnis)
    assert "07/03/2026 02:30 GMT → now" in capsys.readouterr().out


def test_the_command_lines_json_stays_in_utc_whoever_asks(cast, capsys):
    line = _assigned_at_moment(cast)

    call_command("numbers", "show", line.dnis, "--as", "bob@acme.example", "--json")
    [owner] = json.loads(capsys.readouterr().out)["owners"]
    assert owner["assigned_at"] == "2026-03-07T02:30:00Z"
