from django.db import migrations

# The health check asks when the worker last finished a job; without an index that
# question reads every job ever run. The jobs table belongs to django-tasks-db, so
# the index is plain SQL (the same on SQLite and PostgreSQL).
TABLE = "django_tasks_database_dbtaskresult"


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0005_alter_outboundemail_kind"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS csrtool_job_finished_at ON {TABLE} (finished_at)",
            "DROP INDEX IF EXISTS csrtool_job_finished_at",
        ),
    ]
