import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from csrtool.audit.models import AuditEvent
from csrtool.conftest import run_jobs
from csrtool.errors import NotFound, PermissionDenied
from csrtool.numberpool.imports import (
    import_in_progress,
    jobs,
    preview_import,
    run_import,
    start_import,
)
from csrtool.numberpool.models import ImportStatus, NumberImport, PhoneNumber
from csrtool.numberpool.tasks import fail_lost_imports
from csrtool.partners.access import staff_actor

HEADER = "number,dnis,type,country_code,area_code,subscriber_id\n"


def block(first, count):
    return HEADER + "".join(
        f"+1800555{n:04d},800555{n:04d},tollfree,1,800,\n"
        for n in range(first, first + count)
    )


def crash(done, total):
    raise KeyboardInterrupt


def test_starting_an_import_queues_it_and_a_worker_writes_it(cast):
    alice = staff_actor(cast.alice)
    job = preview_import(actor=alice, text=block(0, 5))

    job = start_import(actor=alice, import_id=job.pk)

    assert job.task_id
    assert import_in_progress(job)
    assert PhoneNumber.objects.count() == 0

    run_jobs()

    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    assert not import_in_progress(job)
    assert PhoneNumber.objects.filter(partner=cast.acme).count() == 5
    started = AuditEvent.objects.get(action="number_import.started")
    written = AuditEvent.objects.get(action="number.imported")
    assert (started.channel, started.actor_user) == ("web", cast.alice)
    assert (written.channel, written.actor_user) == ("worker", cast.alice)


def test_starting_a_queued_import_again_queues_nothing_more(cast):
    alice = staff_actor(cast.alice)
    job = preview_import(actor=alice, text=block(0, 3))

    first = start_import(actor=alice, import_id=job.pk)
    second = start_import(actor=alice, import_id=job.pk)

    assert first.task_id == second.task_id
    assert DBTaskResult.objects.count() == 1
    run_jobs()
    assert PhoneNumber.objects.count() == 3


def test_an_interrupted_import_is_continued_in_the_background(
    cast, client_for, monkeypatch
):
    alice = staff_actor(cast.alice)
    monkeypatch.setattr(jobs, "CHUNK_SIZE", 2)
    job = preview_import(actor=alice, text=block(0, 5))
    with pytest.raises(KeyboardInterrupt):
        run_import(actor=alice, import_id=job.pk, progress=crash)
    client = client_for(cast.alice)
    assert (
        "Continue import"
        in client.get(reverse("number-import-detail", args=[job.pk])).text
    )

    client.post(reverse("number-import-run", args=[job.pk]))
    run_jobs()

    job.refresh_from_db()
    assert (job.status, job.added, job.rows_done) == (ImportStatus.COMPLETED, 5, 5)
    assert PhoneNumber.objects.count() == 5


def test_the_page_shows_the_progress_with_a_refresh_link(cast, client_for):
    alice = staff_actor(cast.alice)
    job = preview_import(actor=alice, text=block(0, 4))
    start_import(actor=alice, import_id=job.pk)
    NumberImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, rows_done=2, added=2
    )
    url = reverse("number-import-detail", args=[job.pk])

    page = client_for(cast.alice).get(url).text

    assert '<progress id="import-progress-bar" max="4" value="2">50%</progress>' in (
        page
    )
    assert "2 of 4 rows done (50%), 2 added." in page
    assert f'<a href="{url}">Refresh</a>' in page
    assert "csrtool/number_import.js" in page
    assert "Continue import" not in page


def test_the_progress_answers_the_pages_script(cast, client_for):
    alice = staff_actor(cast.alice)
    job = preview_import(actor=alice, text=block(0, 4))
    start_import(actor=alice, import_id=job.pk)
    progress = reverse("number-import-progress", args=[job.pk])

    before = json.loads(client_for(cast.alice).get(progress).content)
    run_jobs()
    after = json.loads(client_for(cast.alice).get(progress).content)

    assert before == {
        "status": "previewed",
        "in_progress": True,
        "rows_done": 0,
        "total_rows": 4,
        "percent_done": 0,
        "added": 0,
    }
    assert after["in_progress"] is False
    assert (after["status"], after["rows_done"], after["added"]) == ("completed", 4, 4)


def test_another_partner_cannot_start_or_follow_an_import(cast, client_for):
    alice = staff_actor(cast.alice)
    job = preview_import(actor=alice, text=block(0, 2))
    gina = client_for(cast.gina)

    assert gina.post(reverse("number-import-run", args=[job.pk])).status_code == 404
    assert gina.get(reverse("number-import-progress", args=[job.pk])).status_code == 404
    with pytest.raises(NotFound):
        start_import(actor=staff_actor(cast.gina), import_id=job.pk)
    assert not DBTaskResult.objects.exists()


def test_a_csr_cannot_start_an_import(cast, client_for):
    job = preview_import(actor=staff_actor(cast.alice), text=block(0, 2))

    with pytest.raises(PermissionDenied):
        start_import(actor=staff_actor(cast.bob), import_id=job.pk)
    assert (
        client_for(cast.bob)
        .post(reverse("number-import-run", args=[job.pk]))
        .status_code
        == 404
    )
    assert not DBTaskResult.objects.exists()


def test_an_import_whose_worker_died_can_be_continued(cast):
    alice = staff_actor(cast.alice)
    job = start_import(
        actor=alice, import_id=preview_import(actor=alice, text=block(0, 4)).pk
    )
    # A worker took the job, then died: the job stays "running" for ever.
    DBTaskResult.objects.filter(id=job.task_id).update(
        status="RUNNING", started_at=timezone.now() - timedelta(hours=1)
    )
    assert import_in_progress(job)

    assert fail_lost_imports() == 1

    job.refresh_from_db()
    assert not import_in_progress(job)
    job = start_import(actor=alice, import_id=job.pk)  # Continue
    run_jobs()
    job.refresh_from_db()
    assert job.status == ImportStatus.COMPLETED
    assert PhoneNumber.objects.filter(partner=cast.acme).count() == 4


def test_a_running_import_is_left_alone(cast):
    alice = staff_actor(cast.alice)
    job = start_import(
        actor=alice, import_id=preview_import(actor=alice, text=block(0, 2)).pk
    )
    DBTaskResult.objects.filter(id=job.task_id).update(
        status="RUNNING", started_at=timezone.now()
    )
    assert fail_lost_imports() == 0
    assert import_in_progress(job)
