"""Background jobs of the portal (django-tasks, database backend)."""

from django_tasks import task


@task(queue_name="email")
def answer_reset_request(canonical: str, source_ip: str, request_id: str) -> bool:
    """ "Email me a reset link", looked up away from the request (see reset).

    The link's lifetime starts when this runs, not when it was asked for."""
    from csrtool.portal.reset import answer_reset_request as answer

    return answer(canonical=canonical, source_ip=source_ip, request_id=request_id)
