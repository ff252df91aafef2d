"""Background jobs of the onboarding app (django-tasks, database backend)."""

from django_tasks import task


@task(queue_name="email")
def deliver_email(email_id: int) -> str:
    """Try once to hand one outbox email to the mail server."""
    from csrtool.crashpoints import crash_point
    from csrtool.onboarding.delivery import deliver

    crash_point("email.job_started")
    outcome = deliver(email_id)
    crash_point("email.recorded")
    return outcome


@task(queue_name="email")
def answer_new_link_request(canonical: str, source_ip: str) -> bool:
    """ "Email me a new link", looked up away from the request (see services).

    The link's lifetime starts when this runs, not when it was asked for."""
    from csrtool.onboarding.services import answer_new_link_request as answer

    return answer(canonical=canonical, source_ip=source_ip)


def deliver_emails(emails) -> None:
    """Enqueue `deliver_email` for many outbox emails with one INSERT (a bulk
    import's welcome emails), each held back until its `next_attempt_at`: the
    rows the database backend's enqueue would write one at a time."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult

    backend = deliver_email.get_backend()
    if not isinstance(backend, DatabaseBackend):
        for email in emails:
            deliver_email.using(run_after=email.next_attempt_at).enqueue(email.pk)
        return
    DBTaskResult.objects.bulk_create(
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": [email.pk], "kwargs": {}}),
            priority=deliver_email.priority,
            task_path=deliver_email.module_path,
            queue_name=deliver_email.queue_name,
            run_after=email.next_attempt_at,
            backend_name=backend.alias,
        )
        for email in emails
    )
