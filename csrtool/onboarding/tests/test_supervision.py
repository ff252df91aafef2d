"""Background work keeps going: `serve` starts a new worker when its worker dies, a
worker that cannot work exits non-zero, and the health check says when work is late.
"""

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from csrtool.conftest import free_port, run_jobs
from csrtool.onboarding.tests.test_crash_windows import add_ann
from csrtool.onboarding.tests.test_worker import ROOT, database_url, start_worker

STARTED = re.compile(r"Job worker started \(pid (\d+)\)")


class Output:
    """Lines a child process prints, read as they come."""

    def __init__(self, process):
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process):
        for line in iter(process.stdout.readline, b""):
            self.lines.put(line.decode(errors="replace"))

    def wait_for(self, pattern, timeout=60.0):
        deadline = timezone.now() + timedelta(seconds=timeout)
        while timezone.now() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if match := pattern.search(line):
                return match
        raise AssertionError(f"{pattern.pattern!r} not seen in:\n{''.join(self.seen)}")


def start_serve(smtpd):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csrtool.testsettings",
        "CSRTOOL_DATABASE_URL": database_url(),
        "CSRTOOL_EMAIL_URL": f"smtp://127.0.0.1:{smtpd.port}?timeout=30",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "csrtool", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.django_db(transaction=True)
def test_serve_starts_a_new_worker_when_its_worker_is_killed(cast, smtpd, actor_of):
    serve = start_serve(smtpd)
    output = Output(serve)
    try:
        first = int(output.wait_for(STARTED)[1])
        os.kill(first, signal.SIGKILL)
        second = int(output.wait_for(STARTED)[1])
        assert second != first
        assert any(f"job worker (pid {first}) stopped" in x for x in output.seen)

        add_ann(cast, actor_of)
        deadline = timezone.now() + timedelta(seconds=60)
        while not smtpd.to("ann@customer.example") and timezone.now() < deadline:
            threading.Event().wait(0.2)
        assert len(smtpd.to("ann@customer.example")) == 1, "".join(output.seen)
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    # The worker stops with the server.
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_leaves_when_serve_is_killed_outright(smtpd):
    serve = start_serve(smtpd)
    output = Output(serve)
    try:
        worker = int(output.wait_for(STARTED)[1])
        serve.kill()
        serve.wait(timeout=30)
        deadline = timezone.now() + timedelta(seconds=30)
        while timezone.now() < deadline:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            threading.Event().wait(0.2)
        else:
            os.kill(worker, signal.SIGKILL)
            raise AssertionError("the worker outlived its server")
    finally:
        if serve.poll() is None:
            serve.kill()


def test_a_worker_that_cannot_reach_its_database_exits_non_zero(smtpd):
    worker = start_worker(
        smtpd, env={"CSRTOOL_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    )
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 1
    assert "The worker stopped: the database failed" in output.decode()


def health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_the_health_check_says_when_background_work_is_late(cast, client, actor_of):
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["due_jobs"] == 0
    assert body["last_job_finished_seconds"] is None

    add_ann(cast, actor_of)
    status, body = health(client)
    assert (status, body["status"], body["due_jobs"]) == (200, "ok", 1)

    # Nobody took the welcome email's job for eleven minutes: late.
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=11))
    status, body = health(client)
    assert (status, body["status"], body["due_jobs"]) == (503, "late", 1)
    assert body["oldest_due_seconds"] >= 660
    with pytest.raises(CommandError, match="Background work is late"):
        call_command("health", stdout=StringIO())

    run_jobs()
    status, body = health(client)
    assert (status, body["status"], body["due_jobs"]) == (200, "ok", 0)
    assert body["last_job_finished_seconds"] is not None
    out = StringIO()
    call_command("health", "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "ok"
    out = StringIO()
    call_command("health", stdout=out)
    assert out.getvalue().startswith("ok: no job due; last job finished ")
