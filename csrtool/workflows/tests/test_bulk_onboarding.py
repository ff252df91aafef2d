"""Bulk onboarding of a partner's existing customers from a CSV: preview, import,
re-run and resume safely, welcome emails paced or held back, a result file."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.errors import NotFound
from csrtool.events.models import Event
from csrtool.features.catalog import feature_state
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.onboarding.email_templates.services import send_test
from csrtool.onboarding.models import EmailKind, OutboundEmail
from csrtool.partners.access import staff_actor
from csrtool.subscribers.models import Subscriber, SubscriberImport
from csrtool.workflows import bulk_onboarding

HEADER = "First Name,Last Name,Email,Contact Phone,Time Zone,Billing ID,Number,Plan\n"


def accounts(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)


GOOD = accounts(
    "Ada,Lovelace,ada@customer.example,+1 212 555 0101,America/New_York,B-1,,",
    "Bo,Diddley,bo@customer.example,+1 212 555 0102,,B-2,8005550111,Basic",
    "Cy,Young,cy@customer.example,+1 212 555 0103,Europe/Berlin,B-3,,",
)


def welcome_emails(email=None):
    emails = OutboundEmail.objects.filter(kind=EmailKind.WELCOME)
    return emails.filter(recipient=email) if email else emails


def invite_due(job, now=None) -> int:
    """What the import's invitation job does when it runs at `now`."""
    return bulk_onboarding.queue_due_invitations(import_id=job.pk, now=now)


def test_the_preview_names_every_problem_and_creates_nobody(cast, pool):
    text = accounts(
        "Ada,Lovelace,ada@customer.example,+1 212 555 0101,,B-1,,",
        ",Nameless,not-an-email,12,Mars/Olympus,,,",
        "Ada,Again,ADA@customer.example,+1 212 555 0104,,B-4,,",
        "Sam,Sample,sam@customer.example,+1 212 555 0100,,ACME-100,,",
        "Gus,Globe,gus@other.example,+1 212 555 0105,,B-5,,",
        "Di,Dial,di@customer.example,+1 212 555 0106,,B-6,8005559999,Gold",
    )
    before = Subscriber.objects.count()
    job, rows = bulk_onboarding.preview_import(
        actor=staff_actor(cast.bob), text=text, file_name="customers.csv"
    )
    by_line = {row.line: row for row in rows}
    assert by_line[2].outcome == bulk_onboarding.WILL_ADD
    reasons = by_line[3].reason
    for label in ("First Name:", "Email:", "Contact phone:", "Time zone:", "Billing"):
        assert label in reasons, label
    assert by_line[4].reason == "The same email is also on line 2."
    assert by_line[5].outcome == bulk_onboarding.PRESENT
    assert by_line[5].subscriber_id == cast.sam.public_id
    # Another partner's customer: refused as any address in use, nothing more.
    assert by_line[6].reason == "Email: This email address is already in use."
    assert "is not in your pool" in by_line[7].reason
    assert "no plan is named 'Gold'" in by_line[7].reason
    assert (job.planned_add, job.planned_present, job.planned_errors) == (1, 1, 4)
    assert Subscriber.objects.count() == before
    assert not OutboundEmail.objects.exists()


def test_an_import_creates_each_account_with_its_number_plan_and_one_welcome(
    cast, pool, smtpd
):
    job = bulk_onboarding.import_accounts(
        actor=staff_actor(cast.bob), text=GOOD, file_name="customers.csv"
    )
    assert (job.status, job.added, job.already_present, job.failed) == (
        "completed",
        3,
        0,
        0,
    )
    bo = Subscriber.objects.get(email="bo@customer.example")
    assert PhoneNumber.objects.get(dnis="8005550111").subscriber == bo
    assert feature_state(bo).plan_name == "Basic"
    assert Subscriber.objects.get(email="cy@customer.example").time_zone == (
        "Europe/Berlin"
    )
    run_jobs()
    for email in ("ada@customer.example", "bo@customer.example", "cy@customer.example"):
        assert len(smtpd.to(email)) == 1
    assert AuditEvent.objects.filter(action="subscriber.created").count() == 3
    finished = Event.objects.get(type="subscriber_import.finished")
    assert finished.data["object"]["added"] == 3


def test_the_same_file_again_creates_nobody_and_sends_no_second_email(
    cast, pool, smtpd
):
    actor = staff_actor(cast.bob)
    bulk_onboarding.import_accounts(actor=actor, text=GOOD)
    run_jobs()
    again = bulk_onboarding.import_accounts(actor=actor, text=GOOD)
    run_jobs()
    assert (again.added, again.already_present) == (0, 3)
    assert Subscriber.objects.filter(partner=cast.acme).count() == 4  # Sam too
    assert welcome_emails().count() == 3
    assert len(smtpd.messages) == 3


def test_an_interrupted_import_continues_where_it_stopped(cast, pool, monkeypatch):
    monkeypatch.setattr(bulk_onboarding, "CHUNK_SIZE", 1)
    actor = staff_actor(cast.bob)
    job, _ = bulk_onboarding.preview_import(actor=actor, text=GOOD)

    def die_after_first_chunk(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bulk_onboarding.run_import(
            actor=actor, import_id=job.pk, progress=die_after_first_chunk
        )
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.added) == ("running", 1, 1)
    # Previewing the same file again gives the open import, which continues.
    again, _ = bulk_onboarding.preview_import(actor=actor, text=GOOD)
    assert again.pk == job.pk
    done = bulk_onboarding.run_import(actor=actor, import_id=job.pk)
    assert (done.status, done.added, done.failed) == ("completed", 3, 0)
    assert invite_due(job) == 3
    assert welcome_emails().count() == 3


def test_create_now_invite_later_then_send_invitations_once(cast, pool, smtpd):
    actor = staff_actor(cast.bob)
    job = bulk_onboarding.import_accounts(actor=actor, text=GOOD, invite_now=False)
    run_jobs()
    assert job.added == 3 and smtpd.messages == [] and not welcome_emails().exists()
    with pytest.raises(NotFound):
        bulk_onboarding.send_invitations(
            actor=staff_actor(cast.charlie), import_id=job.pk
        )
    job = bulk_onboarding.send_invitations(actor=actor, import_id=job.pk)
    assert job.invitations_queued == 3
    bulk_onboarding.send_invitations(actor=actor, import_id=job.pk)
    run_jobs()
    assert welcome_emails().count() == 3
    assert len(smtpd.messages) == 3
    assert AuditEvent.objects.filter(
        action="subscriber_import.invitations_sent"
    ).exists()


def test_a_partner_admins_test_email_holds_back_no_invitation(cast, pool, smtpd):
    # A test of the welcome template is a welcome email with no subscriber.
    send_test(actor=staff_actor(cast.alice), slug="acme", kind="welcome")
    actor = staff_actor(cast.bob)
    job = bulk_onboarding.import_accounts(actor=actor, text=GOOD, invite_now=False)
    job = bulk_onboarding.send_invitations(actor=actor, import_id=job.pk)
    assert job.invitations_queued == 3
    run_jobs()
    assert len(smtpd.messages) == 4


def test_welcome_emails_go_out_at_the_partners_pace(cast, pool, smtpd):
    cast.acme.invitations_per_minute = 2
    cast.acme.save(update_fields=["invitations_per_minute"])
    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=GOOD)
    assert not welcome_emails().exists()  # queued by the import's job, not by it
    run_jobs()
    times = sorted(welcome_emails().values_list("next_attempt_at", flat=True))
    # Two this minute, the third a minute after the pace started.
    assert times[1] == times[0]
    assert times[2] == job.invitations_from + timedelta(minutes=1)
    assert len(smtpd.messages) == 2  # the third is not due yet


def test_a_chunks_welcome_emails_are_queued_when_the_first_is_due(
    cast, pool, monkeypatch
):
    cast.acme.invitations_per_minute = 1
    cast.acme.save(update_fields=["invitations_per_minute"])
    monkeypatch.setattr(bulk_onboarding, "CHUNK_SIZE", 1)
    actor = staff_actor(cast.bob)
    start = timezone.now()
    job, _ = bulk_onboarding.preview_import(actor=actor, text=GOOD, now=start)
    bulk_onboarding.run_import(actor=actor, import_id=job.pk, now=start)
    job.refresh_from_db()
    assert job.invitations_queued == 3 and not welcome_emails().exists()

    assert invite_due(job, now=start) == 1
    assert invite_due(job, now=start) == 0  # each chunk once
    assert invite_due(job, now=start + timedelta(seconds=59)) == 0
    assert invite_due(job, now=start + timedelta(minutes=1)) == 1
    assert invite_due(job, now=start + timedelta(minutes=2)) == 1
    times = sorted(welcome_emails().values_list("next_attempt_at", flat=True))
    assert times == [start, start + timedelta(minutes=1), start + timedelta(minutes=2)]


def test_the_result_file_gives_each_rows_subscriber_id_or_reason(cast, pool):
    text = GOOD + "Eve,,=cmd@customer.example,+1 212 555 0109,,B-9,,\n"
    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=text)
    rows = list(csv.DictReader(io.StringIO("".join(bulk_onboarding.result_rows(job)))))
    ada = Subscriber.objects.get(email="ada@customer.example")
    assert rows[0]["subscriber_id"] == ada.public_id
    assert rows[0]["outcome"] == "added"
    assert rows[3]["outcome"] == "error" and rows[3]["subscriber_id"] == ""
    assert rows[3]["email"].startswith("'=")  # defused for spreadsheets
    assert "Last Name" in rows[3]["reason"]


def test_another_partners_import_is_unknown(cast, pool):
    job, _ = bulk_onboarding.preview_import(actor=staff_actor(cast.bob), text=GOOD)
    for action in (bulk_onboarding.run_import, bulk_onboarding.get_import):
        with pytest.raises(NotFound):
            action(actor=staff_actor(cast.charlie), import_id=job.pk)
    assert not Subscriber.objects.filter(email="ada@customer.example").exists()


def test_the_command_line_previews_imports_and_writes_the_result(
    cast, pool, tmp_path, capsys
):
    path = tmp_path / "customers.csv"
    path.write_text(GOOD + "Eve,,eve@customer.example,+1 212 555 0109,,B-9,,\n")
    as_bob = ("--as", "bob@acme.example")
    with pytest.raises(CommandError, match="1 row could not be imported"):
        call_command("subscribers", "import", str(path), "--dry-run", *as_bob)
    out = capsys.readouterr().out
    assert "4 rows: 3 will be added, 0 already present, 1 with errors." in out
    assert "line 5: Last Name:" in out
    assert not Subscriber.objects.filter(email="ada@customer.example").exists()

    with pytest.raises(CommandError):
        call_command(
            "subscribers", "import", str(path), "--invite-later", "--json", *as_bob
        )
    summary = json.loads(capsys.readouterr().out)
    assert summary["added"] == 3 and summary["invite"] == "later"
    assert not welcome_emails().exists()

    call_command("subscribers", "import-invite", str(summary["import_id"]), *as_bob)
    assert "3 welcome emails queued" in capsys.readouterr().out
    call_command("subscribers", "import-result", str(summary["import_id"]), *as_bob)
    result = capsys.readouterr().out
    assert result.startswith("line,email,outcome,subscriber_id,reason")
    assert Subscriber.objects.get(email="ada@customer.example").public_id in result
    assert SubscriberImport.objects.count() == 1
    assert PhoneNumber.objects.get(dnis="8005550111").status == NumberStatus.ASSIGNED


def test_two_runs_never_write_the_same_chunk(cast, pool):
    """A second worker that read the import before the first wrote its chunk
    finds the chunk claimed and writes nothing."""
    actor = staff_actor(cast.bob)
    job, _ = bulk_onboarding.preview_import(actor=actor, text=GOOD)
    rows = bulk_onboarding.parse_accounts(GOOD)
    stale = SubscriberImport.objects.get(pk=job.pk)
    now = timezone.now()
    bulk_onboarding._write_chunk(actor, job, rows, 0, now)
    bulk_onboarding._write_chunk(
        actor, stale, bulk_onboarding.parse_accounts(GOOD), 0, now
    )
    job.refresh_from_db()
    # Counted once: 3 added, not 3 added and then 3 "already present".
    assert (job.rows_done, job.added, job.already_present) == (3, 3, 0)
    assert invite_due(job) == 3
    assert welcome_emails().count() == 3


def test_a_customer_already_billed_is_already_present(cast, pool, smtpd):
    text = accounts(
        "Sam,Sample,sam.new@customer.example,+1 212 555 0109,,ACME-100,,",
        "Di,Dunn,di@customer.example,+1 212 555 0110,,B-7,,",
        "Ed,Eve,ed@customer.example,+1 212 555 0111,,B-7,,",
    )

    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=text)
    run_jobs()

    assert (job.added, job.already_present, job.failed) == (1, 1, 1)
    assert job.subscriber_ids()["2"] == cast.sam.public_id
    assert job.problems["4"] == "The same Billing ID is also on line 3."
    assert not Subscriber.objects.filter(email="sam.new@customer.example").exists()
    assert [str(m["To"]) for m in smtpd.messages] == ["di@customer.example"]


def test_after_a_pause_the_welcome_emails_keep_the_pace(cast, pool, monkeypatch):
    cast.acme.invitations_per_minute = 1
    cast.acme.save(update_fields=["invitations_per_minute"])
    monkeypatch.setattr(bulk_onboarding, "CHUNK_SIZE", 1)
    actor = staff_actor(cast.bob)
    start = timezone.now()
    job, _ = bulk_onboarding.preview_import(actor=actor, text=GOOD, now=start)

    def die_after_first_chunk(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bulk_onboarding.run_import(
            actor=actor, import_id=job.pk, now=start, progress=die_after_first_chunk
        )
    assert invite_due(job, now=start) == 1
    # The worker was down for an hour; Continue then.
    later = start + timedelta(hours=1)
    bulk_onboarding.run_import(actor=actor, import_id=job.pk, now=later)
    assert invite_due(job, now=later) == 1
    assert invite_due(job, now=later + timedelta(minutes=1)) == 1

    times = sorted(welcome_emails().values_list("next_attempt_at", flat=True))
    assert times == [start, later, later + timedelta(minutes=1)]


def test_invitations_sent_days_later_keep_the_pace(cast, pool):
    cast.acme.invitations_per_minute = 2
    cast.acme.save(update_fields=["invitations_per_minute"])
    actor = staff_actor(cast.bob)
    job = bulk_onboarding.import_accounts(actor=actor, text=GOOD, invite_now=False)
    later = timezone.now() + timedelta(days=3)

    bulk_onboarding.send_invitations(actor=actor, import_id=job.pk, now=later)
    assert invite_due(job, now=later) == 3

    times = sorted(welcome_emails().values_list("next_attempt_at", flat=True))
    assert times == [later, later, later + timedelta(minutes=1)]


def test_a_file_read_a_chunk_at_a_time_still_finds_repeats_across_chunks(
    cast, pool, monkeypatch
):
    monkeypatch.setattr(bulk_onboarding, "CHUNK_SIZE", 1)
    text = accounts(
        "Ada,Lovelace,ada@customer.example,+1 212 555 0101,,B-1,,",
        "Bo,Diddley,bo@customer.example,+1 212 555 0102,,B-2,,",
        "Ada,Again,ADA@customer.example,+1 212 555 0103,,B-3,,",
        "Cy,Young,cy@customer.example,+1 212 555 0104,,B-2,,",
    )
    job = bulk_onboarding.import_accounts(actor=staff_actor(cast.bob), text=text)
    assert job.problems == {
        "4": "The same email is also on line 2.",
        "5": "The same Billing ID is also on line 3.",
    }
    # Checked and written in one pass: the plan is what happened.
    assert (job.added, job.failed, job.planned_add, job.planned_errors) == (2, 2, 2, 2)
    assert AuditEvent.objects.filter(
        action="subscriber_import.started", target_id=str(job.pk)
    ).exists()
