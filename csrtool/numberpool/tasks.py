"""Background jobs of the number pool (django-tasks, database backend)."""

from django_tasks import task


@task()
def write_number_import(import_id: int, user_id: int) -> dict:
    """Write a started bulk import chunk by chunk, as the member of staff who
    started it; a run cut short is continued by the next one."""
    from csrtool.numberpool.imports import run_import
    from csrtool.partners.access import staff_actor
    from csrtool.partners.models import User

    user = User.objects.select_related("partner").get(pk=user_id)
    report = run_import(actor=staff_actor(user, channel="worker"), import_id=import_id)
    job = report.job
    return {
        "added": job.added,
        "already_present": job.already_present,
        "errors": job.failed,
    }
