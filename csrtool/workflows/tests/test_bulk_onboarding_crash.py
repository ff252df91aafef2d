"""A worker killed in the middle of a bulk onboarding: nobody created twice, no
second welcome email, nothing lost; Continue finishes the rest."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.numberpool.tasks import IMPORT_LEASE, fail_lost_imports
from csrtool.onboarding.models import EmailKind, OutboundEmail
from csrtool.onboarding.tests.test_worker import start_worker
from csrtool.partners.access import staff_actor
from csrtool.subscribers.models import ImportStatus, Subscriber
from csrtool.workflows import bulk_onboarding

ROWS = 2 * bulk_onboarding.CHUNK_SIZE - 50  # a chunk and most of another


def customers(count: int) -> str:
    lines = ["first_name,last_name,email,phone,billing_id"]
    lines += [
        f"Cust,Omer{i},c{i}@customer.example,+1 212 555 {1000 + i},B-{i}"
        for i in range(count)
    ]
    return "\n".join(lines) + "\n"


def run_worker(smtpd, *, crash_at=""):
    worker = start_worker(smtpd, "--batch", env={"CSRTOOL_CRASH_AT": crash_at})
    output, _ = worker.communicate(timeout=300)
    return worker.returncode, output.decode()


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_was_killed_continues_without_doubles(cast, smtpd):
    cast.acme.invitations_per_minute = ROWS  # every welcome email due at once
    cast.acme.save(update_fields=["invitations_per_minute"])
    bob = staff_actor(cast.bob)
    job, _ = bulk_onboarding.preview_import(actor=bob, text=customers(ROWS))
    assert job.planned_add == ROWS
    job = bulk_onboarding.start_import(actor=bob, import_id=job.pk)

    returncode, output = run_worker(smtpd, crash_at="subscriber_import.chunk_written")
    assert returncode == -signal.SIGKILL, output
    imported = Subscriber.objects.filter(
        email__startswith="c", last_name__startswith="Omer"
    )
    assert imported.count() == bulk_onboarding.CHUNK_SIZE
    assert bulk_onboarding.import_in_progress(job)

    later = timezone.now() + IMPORT_LEASE + timedelta(seconds=1)
    assert fail_lost_imports(now=later) == 1
    job.refresh_from_db()
    assert not bulk_onboarding.import_in_progress(job)
    job = bulk_onboarding.start_import(actor=bob, import_id=job.pk)  # Continue
    returncode, output = run_worker(smtpd)
    assert returncode == 0, output

    job.refresh_from_db()
    assert (job.status, job.added, job.failed) == (ImportStatus.COMPLETED, ROWS, 0)
    assert imported.count() == ROWS
    welcomes = OutboundEmail.objects.filter(kind=EmailKind.WELCOME)
    assert welcomes.count() == ROWS
    assert welcomes.values("subscriber").distinct().count() == ROWS
