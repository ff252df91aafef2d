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
