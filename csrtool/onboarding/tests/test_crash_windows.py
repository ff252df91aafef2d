"""A worker killed at every step of delivering an email: after a restart the email
goes out, exactly once (twice only where SMTP itself cannot tell, and then with
the same Message-ID).

Each case arms one crash point (CSRTOOL_CRASH_AT) in a real worker process, which
SIGKILLs itself there; a second worker, after the lease has run out, finishes.
"""

import signal
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from csrtool.onboarding import delivery
from csrtool.onboarding.models import EmailStatus, OutboundEmail
from csrtool.onboarding.tests.test_worker import start_worker
from csrtool.subscribers.services import create_subscriber

ANN = "ann@customer.example"


def add_ann(cast, actor_of):
    return create_subscriber(
        actor=actor_of(cast.bob),
        first_name="Ann",
        last_name="Archer",
        email=ANN,
        phone="+12125550123",
        billing_id="ACME-200",
    )


def run_worker(smtpd, *, crash_at=""):
    worker = start_worker(smtpd, "--batch", env={"CSRTOOL_CRASH_AT": crash_at})
    output, _ = worker.communicate(timeout=120)
    return worker.returncode, output.decode()


def after_the_lease():
    return timezone.now() + delivery.LEASE + timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("step", "left_as", "copies"),
    [
        ("email.job_started", EmailStatus.QUEUED, 1),
        ("email.claimed", EmailStatus.SENDING, 1),
        ("email.accepted", EmailStatus.SENDING, 2),
        ("email.recorded", EmailStatus.SENT, 1),
    ],
)
def test_a_worker_killed_at_each_step_leaves_the_email_to_be_sent(
    cast, smtpd, actor_of, step, left_as, copies
):
    add_ann(cast, actor_of)

    returncode, output = run_worker(smtpd, crash_at=step)
    assert returncode == -signal.SIGKILL, output
    email = OutboundEmail.objects.get(recipient=ANN)
    assert email.status == left_as
    job = DBTaskResult.objects.get()
    assert job.status == "RUNNING"

    # Before the lease runs out, a new worker leaves the interrupted work alone...
    returncode, output = run_worker(smtpd)
    assert returncode == 0, output
    email.refresh_from_db()
    assert email.status == left_as
    # ...after it, the sweep fails the dead job and the email goes out.
    delivery.recover_stalled_emails(now=after_the_lease())
    returncode, output = run_worker(smtpd)
    assert returncode == 0, output

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    received = smtpd.to(ANN)
    assert len(received) == copies
    assert {message["Message-ID"] for message in received} == {email.message_id}
    job.refresh_from_db()
    assert job.status == "FAILED"
    assert job.exception_class_path.endswith("WorkerLost")

    # Nothing is left to do: another sweep and worker send nothing more.
    assert delivery.recover_stalled_emails(now=after_the_lease()) == 0
    assert run_worker(smtpd)[0] == 0
    assert len(smtpd.to(ANN)) == copies


@pytest.mark.django_db(transaction=True)
def test_a_lost_job_does_not_hurry_an_email_waiting_for_its_retry(
    cast, smtpd, actor_of
):
    """An email queued for a retry later keeps its time when its old job is lost."""
    add_ann(cast, actor_of)
    returncode, _ = run_worker(smtpd, crash_at="email.job_started")
    assert returncode == -signal.SIGKILL
    later = timezone.now() + timedelta(hours=1)
    OutboundEmail.objects.filter(recipient=ANN).update(next_attempt_at=later)

    assert delivery.recover_stalled_emails(now=after_the_lease()) == 1
    assert run_worker(smtpd)[0] == 0
    assert smtpd.to(ANN) == []
    waiting = DBTaskResult.objects.exclude(status="FAILED").get()
    assert waiting.status == "READY"
    assert waiting.run_after == later
