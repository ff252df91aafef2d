"""The worker as a separate process: killed mid-delivery, nothing is lost or doubled."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from csrtool.conftest import run_jobs
from csrtool.onboarding import delivery
from csrtool.onboarding.models import EmailStatus, OutboundEmail
from csrtool.subscribers.services import create_subscriber

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(smtpd, *extra, env=None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csrtool.testsettings",
        "CSRTOOL_DATABASE_URL": database_url(),
        "CSRTOOL_EMAIL_URL": f"smtp://127.0.0.1:{smtpd.port}?timeout=30",
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "csrtool", "worker", "--interval", "0.1", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_delivery_loses_nothing_and_sends_once(
    cast, smtpd, actor_of
):
    smtpd.hold = threading.Event()
    ann = create_subscriber(
        actor=actor_of(cast.bob),
        first_name="Ann",
        last_name="Archer",
        email="ann@customer.example",
        phone="+12125550123",
        billing_id="ACME-200",
    )
    worker = start_worker(smtpd)
    try:
        assert smtpd.holding.wait(timeout=60), worker.stdout.read1().decode()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        smtpd.hold.set()
    smtpd.hold = None

    email = OutboundEmail.objects.get(subscriber=ann)
    assert email.status == EmailStatus.SENDING
    assert email.attempts == 1
    assert smtpd.messages == []

    # Until its lease runs out, nobody else takes the interrupted email...
    run_jobs()
    assert delivery.recover_stalled_emails() == 0
    # ...then any worker picks it up again.
    after_lease = timezone.now() + delivery.LEASE + timedelta(seconds=1)
    assert delivery.recover_stalled_emails(now=after_lease) == 1
    run_jobs()

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(smtpd.to("ann@customer.example")) == 1

    # A fresh worker process finds nothing left to do: no second copy.
    again = start_worker(smtpd, "--batch")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output.decode()
    assert len(smtpd.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_delivers_queued_email(cast, smtpd, actor_of):
    create_subscriber(
        actor=actor_of(cast.bob),
        first_name="Ann",
        last_name="Archer",
        email="ann@customer.example",
        phone="+12125550123",
        billing_id="ACME-200",
    )
    worker = start_worker(smtpd, "--batch")
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output.decode()
    assert len(smtpd.to("ann@customer.example")) == 1
    assert OutboundEmail.objects.get().status == EmailStatus.SENT
