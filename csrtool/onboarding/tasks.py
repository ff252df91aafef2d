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
