"""The whole service killed outright in the middle of a burst of API creates and
assigns and a bulk import: after a restart every acknowledged change is there with
its audit row and email, nothing half-written is visible, and the import finishes.
"""

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from csrtool.api.services import create_api_key
from csrtool.audit.models import AuditEvent
from csrtool.conftest import free_port
from csrtool.numberpool.imports import preview_import, start_import
from csrtool.numberpool.models import ImportStatus, NumberImport, PhoneNumber
from csrtool.numberpool.tasks import IMPORT_LEASE, fail_lost_imports
from csrtool.numberpool.tests.make import make_number
from csrtool.numberpool.tests.test_import_in_background import block
from csrtool.onboarding.delivery import LEASE, recover_stalled_emails
from csrtool.onboarding.models import OutboundEmail
from csrtool.onboarding.tests.test_worker import ROOT, database_url
from csrtool.partners.access import cli_actor, staff_actor
from csrtool.partners.models import Role
from csrtool.subscribers.models import Subscriber


class Service:
    """`csrtool serve` in its own process group, so it can be killed whole."""

    def __init__(self, smtpd):
        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "csrtool.testsettings",
            "CSRTOOL_DATABASE_URL": database_url(),
            "CSRTOOL_EMAIL_URL": f"smtp://127.0.0.1:{smtpd.port}?timeout=30",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "csrtool", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = timezone.now() + timedelta(seconds=60)
        while timezone.now() < deadline:
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=5)  # noqa: S310
                return
            except (OSError, urllib.error.HTTPError):
                threading.Event().wait(0.2)
        raise AssertionError("csrtool serve did not start")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def post(self, path, body, key):
        request = urllib.request.Request(  # noqa: S310
            self.url(path),
            data=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {key}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def burst(service, key, dnis_list, acknowledged):
    """Create accounts and assign each a number until the service stops answering."""
    n = 0
    try:
        while True:
            status, body = service.post(
                "/api/v1/subscribers",
                {
                    "first_name": "Burst",
                    "last_name": f"Customer {n}",
                    "email": f"burst{n}@customer.example",
                    "phone": "+12125550123",
                    "billing_id": f"B-{n}",
                },
                key,
            )
            assert status == 201
            acknowledged.append(("created", body["subscriber_id"]))
            if n < len(dnis_list):
                service.post(
                    f"/api/v1/numbers/{dnis_list[n]}/assign",
                    {"subscriber_id": body["subscriber_id"]},
                    key,
                )
                acknowledged.append(("assigned", dnis_list[n], body["subscriber_id"]))
            n += 1
    except (OSError, http.client.HTTPException):
        # The service is gone: refused, reset, or killed between an answer's
        # headers and its body (IncompleteRead).
        return


@pytest.mark.django_db(transaction=True)
def test_killing_the_whole_service_mid_burst_loses_no_acknowledged_change(cast, smtpd):
    _, key = create_api_key(
        actor=cli_actor(), partner=cast.acme, name="burst", role=Role.CSR
    )
    dnis_list = [make_number(cast.acme, dnis=f"800777{n:04d}").dnis for n in range(40)]
    alice = staff_actor(cast.alice)
    job = start_import(
        actor=alice, import_id=preview_import(actor=alice, text=block(0, 6000)).pk
    )

    service = Service(smtpd)
    acknowledged: list = []
    client = threading.Thread(
        target=burst, args=(service, key, dnis_list, acknowledged)
    )
    client.start()
    deadline = timezone.now() + timedelta(seconds=60)
    while len(acknowledged) < 12 and timezone.now() < deadline:
        threading.Event().wait(0.05)
    service.kill()
    client.join(timeout=60)
    assert len(acknowledged) >= 12

    # Every acknowledged change is there.
    for change in acknowledged:
        if change[0] == "created":
            assert Subscriber.objects.filter(public_id=change[1]).exists()
        else:
            line = PhoneNumber.objects.get(dnis=change[1])
            assert line.subscriber.public_id == change[2]
    # Nothing half-written: each account has its audit row and its welcome email.
    for subscriber in Subscriber.objects.filter(first_name="Burst"):
        assert AuditEvent.objects.filter(
            action="subscriber.created", target_id=subscriber.public_id
        ).exists()
        assert OutboundEmail.objects.filter(subscriber=subscriber).exists()
    if connection.vendor == "sqlite":
        with sqlite3.connect(connection.settings_dict["NAME"]) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # After a restart the import goes on (Continue, once its lease has run out)
    # and every welcome email goes out (one killed mid-delivery once its lease
    # has run out too).
    service = Service(smtpd)
    try:
        later = timezone.now() + IMPORT_LEASE + timedelta(seconds=1)
        if fail_lost_imports(now=later):
            start_import(actor=alice, import_id=job.pk)
        recover_stalled_emails(now=timezone.now() + LEASE + timedelta(seconds=1))
        burst_emails = OutboundEmail.objects.filter(subscriber__first_name="Burst")
        deadline = timezone.now() + timedelta(seconds=120)
        while timezone.now() < deadline:
            job.refresh_from_db()
            sent = {m["To"] for m in smtpd.messages}
            if job.status == ImportStatus.COMPLETED and all(
                email.recipient in sent for email in burst_emails
            ):
                break
            threading.Event().wait(0.5)
    finally:
        service.kill()
    job = NumberImport.objects.get(pk=job.pk)
    assert job.status == ImportStatus.COMPLETED
    assert PhoneNumber.objects.filter(dnis__startswith="800555").count() == 6000
    sent = {m["To"] for m in smtpd.messages}
    assert {email.recipient for email in burst_emails} <= sent
