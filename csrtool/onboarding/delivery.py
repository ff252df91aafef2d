"""Delivering outbox emails: claim, send over SMTP, record, retry with backoff.

At least once, never twice once acknowledged: a job claims its email with a
conditional UPDATE and a lease; the email is marked sent as soon as the server
has accepted it. What a worker killed at each step leaves behind, and who
finishes it (`recover_stalled_emails`, run by every worker):

- job started, email not yet claimed: the email is still `queued`, its job
  `running` for ever; once the lease has run out the job is failed and the
  email gets a new job.
- email claimed (`sending`), not yet handed over: the lease runs out, the email
  is queued again and sent once.
- handed over and accepted by the mail server, not yet recorded: the same, so
  the email is sent a second time; SMTP cannot tell us otherwise. The
  Message-ID is fixed when the email is created, so the copy is recognisable.
- recorded `sent`, job not yet finished: the job is failed, nothing is resent.

Each step is a crash point (`csrtool.crashpoints`) the tests arm one by one.
"""

import logging
import smtplib
import ssl
import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from csrtool.crashpoints import crash_point
from csrtool.events.services import record_event
from csrtool.onboarding import emails
from csrtool.onboarding.mailfolder import FolderEmailBackend
from csrtool.onboarding.models import EmailKind, EmailStatus, OutboundEmail
from csrtool.onboarding.tasks import deliver_email

logger = logging.getLogger(__name__)

# Longer than the slowest SMTP conversation the timeout allows.
LEASE = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, ~2 h, then every 6 h."""
    return timedelta(seconds=min(30 * 4 ** max(attempts - 1, 0), 6 * 3600))


def describe(error: BaseException) -> str:
    """A reason a CSR can read on the subscriber page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return f"The mail server refused the address ({code} {_text(text)})."
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server answered {error.smtp_code} {_text(error.smtp_error)}."
    if isinstance(error, ConnectionRefusedError):
        return "The mail server refused the connection (is it running?)."
    if isinstance(error, TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(error, ssl.SSLError):
        return f"TLS with the mail server failed: {error.reason or error}."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "The mail server closed the connection."
    if isinstance(error, OSError):
        return f"Could not reach the mail server: {error.strerror or error}."
    return f"Delivery failed: {type(error).__name__}: {error}"[:500]


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:300]


def _is_permanent(error: BaseException) -> bool:
    """5xx for the recipient (at RCPT) or for the message (at DATA): the server
    has refused it for good, and a retry would be refused the same way."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False


def deliver(email_id: int) -> str:
    now = timezone.now()
    claimed = (
        OutboundEmail.objects.filter(pk=email_id)
        .filter(
            Q(status=EmailStatus.QUEUED)
            | Q(status=EmailStatus.SENDING, claimed_until__lt=now)
        )
        .update(
            status=EmailStatus.SENDING,
            claimed_until=now + LEASE,
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return "skipped"
    crash_point("email.claimed")
    email = OutboundEmail.objects.select_related("partner", "subscriber", "link").get(
        pk=email_id
    )
    try:
        message, context = emails.build_message(email)
        connection = get_connection(fail_silently=False)
        message.connection = connection
        message.send()
    except Exception as error:
        return _record_failure(email, error)
    crash_point("email.accepted")
    with transaction.atomic():
        if OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
            claimed_until=None,
            link_seed="",
            last_error="",
        ):
            _record_outcome_event(email, "delivered")
    if isinstance(connection, FolderEmailBackend):
        _announce(email, connection, context)
    return "sent"


def _record_failure(email: OutboundEmail, error: Exception) -> str:
    reason = describe(error)
    logger.warning(
        "Email %s to %s not delivered: %s", email.pk, email.recipient, reason
    )
    now = timezone.now()
    give_up = _is_permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS
    mine = OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING)
    with transaction.atomic():
        if give_up:
            if mine.update(
                status=EmailStatus.FAILED,
                failed_at=now,
                last_error=reason,
                claimed_until=None,
                link_seed="",
            ):
                _record_outcome_event(email, "failed", reason)
            return "failed"
        retry_at = now + backoff(email.attempts)
        if mine.update(
            status=EmailStatus.QUEUED,
            next_attempt_at=retry_at,
            last_error=reason,
            claimed_until=None,
        ):
            deliver_email.using(run_after=retry_at).enqueue(email.pk)
    return "retrying"


def _record_outcome_event(email: OutboundEmail, outcome: str, reason=""):
    if email.kind != EmailKind.WELCOME or email.sample:
        return
    welcome = {
        "subscriber_id": email.subscriber.public_id,
        "recipient": email.recipient,
        "message_id": email.message_id,
    }
    if reason:
        welcome["reason"] = reason
    record_event(
        partner=email.partner,
        type=f"welcome_email.{outcome}",
        actor_kind="system",
        data={"object": welcome},
    )


def _announce(email: OutboundEmail, connection: FolderEmailBackend, context: dict):
    """Without a mail server (demo), say where the email is and what its link is."""
    path = connection.written[-1] if connection.written else settings.EMAIL_FILE_PATH
    lines = [f"{email.get_kind_display()} email to {email.recipient}: {path}"]
    if context.get("link_url"):
        lines.append(f"  link: {context['link_url']}")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def recover_stalled_emails(*, now: datetime | None = None) -> int:
    """Queue again every email whose worker stopped mid-delivery (lease expired)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    recovered = 0
    # The jobs those workers were running will never finish on their own. A job
    # that died before it claimed its email leaves that email queued with no job
    # to send it: it gets a new one, due when the email is.
    lost = DBTaskResult.objects.running().filter(
        task_path=deliver_email.module_path, started_at__lt=now - LEASE
    )
    for job_id, args in list(lost.values_list("pk", "args_kwargs")):
        with transaction.atomic():
            failed = (
                DBTaskResult.objects.running()
                .filter(pk=job_id)
                .update(
                    status="FAILED",
                    finished_at=now,
                    exception_class_path="csrtool.onboarding.delivery.WorkerLost",
                    traceback="The worker stopped while running this job.",
                )
            )
            if not failed:
                continue
            waiting = OutboundEmail.objects.filter(
                pk=args["args"][0], status=EmailStatus.QUEUED
            ).first()
            if waiting is not None:
                due = waiting.next_attempt_at
                job = deliver_email
                if due > timezone.now():
                    job = deliver_email.using(run_after=due)
                job.enqueue(waiting.pk)
                recovered += 1
    stalled = OutboundEmail.objects.filter(
        status=EmailStatus.SENDING, claimed_until__lt=now
    ).values_list("pk", flat=True)
    for pk in list(stalled):
        with transaction.atomic():
            if OutboundEmail.objects.filter(
                pk=pk, status=EmailStatus.SENDING, claimed_until__lt=now
            ).update(
                status=EmailStatus.QUEUED,
                claimed_until=None,
                next_attempt_at=now,
                last_error="The worker stopped during delivery; trying again.",
            ):
                deliver_email.enqueue(pk)
                recovered += 1
    return recovered
