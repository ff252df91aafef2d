"""Is background work getting done? What the health check and `csrtool health` tell.

Work is late when a job has been due for longer than CSRTOOL_HEALTH_MAX_QUEUE_MINUTES
(no worker is taking jobs, or they cannot keep up); monitoring pages someone then.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max


@dataclass(frozen=True)
class WorkHealth:
    checked_at: datetime
    due_jobs: int
    oldest_due_since: datetime | None
    last_finished_at: datetime | None
    max_queue_age: timedelta

    @property
    def late(self) -> bool:
        return (
            self.oldest_due_since is not None
            and self.checked_at - self.oldest_due_since > self.max_queue_age
        )

    def as_dict(self) -> dict:
        def seconds_since(moment):
            if moment is None:
                return None
            return round((self.checked_at - moment).total_seconds())

        return {
            "status": "late" if self.late else "ok",
            "due_jobs": self.due_jobs,
            "oldest_due_seconds": seconds_since(self.oldest_due_since),
            "last_job_finished_seconds": seconds_since(self.last_finished_at),
            "max_queue_age_seconds": round(self.max_queue_age.total_seconds()),
        }


def work_health(*, now: datetime | None = None) -> WorkHealth:
    """Due jobs and how long the oldest has waited; when a job last finished.

    A job without a start time is due from when it was queued; one with a start
    time, from then. Both questions are answered from indexes.
    """
    now = now or timezone.now()
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    timed = ready.filter(run_after__lte=now).aggregate(
        count=Count("pk"), since=Min("run_after")
    )
    untimed = ready.filter(run_after=get_date_max()).aggregate(
        count=Count("pk"), since=Min("enqueued_at")
    )
    started = [moment for moment in (timed["since"], untimed["since"]) if moment]
    finished = DBTaskResult.objects.aggregate(last=Max("finished_at"))["last"]
    return WorkHealth(
        checked_at=now,
        due_jobs=timed["count"] + untimed["count"],
        oldest_due_since=min(started, default=None),
        last_finished_at=finished,
        max_queue_age=timedelta(minutes=settings.HEALTH_MAX_QUEUE_MINUTES),
    )
