"""A worker killed in the middle of a bulk import: nothing written twice, nothing
lost; Continue finishes the rest."""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from csrtool.numberpool.imports import import_in_progress, preview_import, start_import
from csrtool.numberpool.models import ImportStatus, PhoneNumber
from csrtool.numberpool.tasks import IMPORT_LEASE, fail_lost_imports
from csrtool.numberpool.tests.test_import_in_background import block
from csrtool.onboarding.tests.test_worker import start_worker
from csrtool.partners.access import staff_actor

ROWS = 4500  # three chunks


def run_worker(smtpd, *, crash_at=""):
    worker = start_worker(smtpd, "--batch", env={"CSRTOOL_CRASH_AT": crash_at})
    output, _ = worker.communicate(timeout=300)
    return worker.returncode, output.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("step", "written_before"),
    [("import.job_started", 0), ("import.chunk_written", 2000)],
)
def test_an_import_whose_worker_was_killed_continues_without_doubles(
    cast, smtpd, step, written_before
):
    alice = staff_actor(cast.alice)
    job = start_import(
        actor=alice, import_id=preview_import(actor=alice, text=block(0, ROWS)).pk
    )

    returncode, output = run_worker(smtpd, crash_at=step)
    assert returncode == -signal.SIGKILL, output
    assert PhoneNumber.objects.filter(partner=cast.acme).count() == written_before
    assert import_in_progress(job)

    later = timezone.now() + IMPORT_LEASE + timedelta(seconds=1)
    assert fail_lost_imports(now=later) == 1
    job.refresh_from_db()
    assert not import_in_progress(job)
    job = start_import(actor=alice, import_id=job.pk)  # Continue
    returncode, output = run_worker(smtpd)
    assert returncode == 0, output

    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    assert job.added == ROWS
    numbers = PhoneNumber.objects.filter(partner=cast.acme)
    assert numbers.count() == ROWS
    assert numbers.values("dnis").distinct().count() == ROWS
