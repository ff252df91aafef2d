"""Background jobs of the features app (django-tasks, database backend)."""

from django_tasks import task


@task()
def count_dashboard(scope: str) -> str:
    """Count the dashboard of a partner (its id) or of every partner ("all")
    and keep the counts."""
    from csrtool.features.dashboard import store_counts

    return store_counts(scope).counted_at.isoformat()
