"""Background jobs of the number pool (django-tasks, database backend)."""

from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

# Far longer than any import runs; an import still "running" after this lost its
# worker. Failing its job lets the page offer Continue (chunks are claimed one by
# one, so even a live run and a continued one never write a row twice).
IMPORT_LEASE = timedelta(minutes=30)


@task()
def write_number_import(import_id: int, user_id: int) -> dict:
    """Write a started bulk import chunk by chunk, as the member of staff who
    started it; a run cut short is continued by the next one."""
    from csrtool.crashpoints import crash_point
    from csrtool.numberpool.imports import run_import
    from csrtool.partners.access import staff_actor
    from csrtool.partners.models import User

    crash_point("import.job_started")
    user = User.objects.select_related("partner").get(pk=user_id)
    report = run_import(actor=staff_actor(user, channel="worker"), import_id=import_id)
    job = report.job
    return {
        "added": job.added,
        "already_present": job.already_present,
        "errors": job.failed,
    }


def fail_lost_imports(*, now: datetime | None = None) -> int:
    """Mark import jobs (numbers and subscribers) whose worker died as failed, so
    they can be continued."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    return (
        DBTaskResult.objects.running()
        .filter(
            task_path__in=[
                write_number_import.module_path,
                "csrtool.workflows.tasks.write_subscriber_import",
            ],
            started_at__lt=now - IMPORT_LEASE,
        )
        .update(
            status="FAILED",
            finished_at=now,
            exception_class_path="csrtool.numberpool.tasks.WorkerLost",
            traceback="The worker stopped while running this import.",
        )
    )
