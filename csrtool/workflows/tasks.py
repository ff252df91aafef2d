"""Background jobs of the cross-app workflows (django-tasks, database backend)."""

from django_tasks import task


@task()
def write_subscriber_import(import_id: int, user_id: int) -> dict:
    """Write a bulk onboarding started from the page, chunk by chunk, as the
    member of staff who started it; a run cut short is continued by the next."""
    from csrtool.crashpoints import crash_point
    from csrtool.partners.access import staff_actor
    from csrtool.partners.models import User
    from csrtool.workflows.bulk_onboarding import run_import

    crash_point("subscriber_import.job_started")
    user = User.objects.select_related("partner").get(pk=user_id)
    job = run_import(actor=staff_actor(user, channel="worker"), import_id=import_id)
    return {"added": job.added, "already_present": job.already_present}


@task()
def send_due_invitations(import_id: int) -> int:
    """Queue the welcome emails of a bulk onboarding whose time has come, at
    the partner's pace (one job per chunk, each due with the chunk's first)."""
    from csrtool.workflows.bulk_onboarding import queue_due_invitations

    return queue_due_invitations(import_id=import_id)
