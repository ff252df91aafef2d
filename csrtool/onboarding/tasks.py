"""Background jobs of the onboarding app (django-tasks, database backend)."""

from django_tasks import task


@task(queue_name="email")
def deliver_email(email_id: int) -> str:
    """Try once to hand one outbox email to the mail server."""
    from csrtool.onboarding.delivery import deliver

    return deliver(email_id)
