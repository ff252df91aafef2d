from django.core.management.base import BaseCommand, CommandError

from csrtool.health import work_health


class Command(BaseCommand):
    help = (
        "Report whether background work is on time: jobs due, how long the oldest "
        "has waited, when a job last finished. Exits 1 when work is late."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, **options):
        import json

        report = work_health()
        figures = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(figures))
        else:
            waiting = "no job due"
            if figures["due_jobs"]:
                waiting = (
                    f"{figures['due_jobs']} job(s) due, the oldest for "
                    f"{_duration(figures['oldest_due_seconds'])}"
                )
            finished = "no job has finished yet"
            if figures["last_job_finished_seconds"] is not None:
                finished = (
                    "last job finished "
                    f"{_duration(figures['last_job_finished_seconds'])} ago"
                )
            self.stdout.write(f"{figures['status']}: {waiting}; {finished}.")
        if report.late:
            raise CommandError(
                "Background work is late: is `csrtool worker` running?", returncode=1
            )


def _duration(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
