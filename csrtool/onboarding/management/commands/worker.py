import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from csrtool.events.feed import publish
from csrtool.events.services import purge_old_events
from csrtool.numberpool.tasks import fail_lost_imports
from csrtool.onboarding.delivery import recover_stalled_emails
from csrtool.webhooks.delivery import deliver_due

SWEEP_EVERY = 60  # seconds between looks for emails whose worker died
# Seconds of webhook deliveries between two looks at the jobs (emails): a burst
# of events never keeps a welcome email waiting longer than about this.
WEBHOOK_ROUND = 5.0


class Command(BaseCommand):
    help = (
        "Run a background worker: deliver queued emails and webhooks (retrying "
        "with backoff) and pick up the work of workers that stopped mid-job."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every job that is due now, then exit.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when there is nothing to do (default 1).",
        )

    def handle(self, *args, **options):
        try:
            self.work(options)
        except DatabaseError as error:
            # Exit non-zero so a process manager (or `csrtool serve`) starts a new
            # worker once the database is back.
            raise CommandError(
                f"The worker stopped: the database failed ({error}).".replace("\n", " ")
            ) from error

    def work(self, options):
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if not options["batch"]:
            worker.configure_signals()
            self.stdout.write("Worker started; waiting for jobs.")
        last_sweep = 0.0
        supervisor = int(os.environ.get("CSRTOOL_SUPERVISOR_PID") or 0)
        while worker.running:
            if supervisor and os.getppid() != supervisor:
                self.stdout.write("The server that started this worker is gone.")
                return
            if time.monotonic() - last_sweep >= SWEEP_EVERY or options["batch"]:
                recovered = recover_stalled_emails()
                if recovered:
                    self.stdout.write(f"Re-queued {recovered} interrupted email(s).")
                lost = fail_lost_imports()
                if lost:
                    self.stdout.write(f"{lost} interrupted import(s) can be continued.")
                purge_old_events()
                last_sweep = time.monotonic()
            publish()
            # Batch mode: run whatever is due, return when nothing is left.
            worker.run()
            delivered = deliver_due(budget_seconds=WEBHOOK_ROUND)
            if delivered:
                continue
            if options["batch"]:
                return
            time.sleep(options["interval"])
