from django.conf import settings
from django.db import migrations, models


def refresh_statistics(apps, schema_editor):
    """SQLite plans without statistics unless ANALYZE ran once; if it did, the
    new indexes need their own, or the planner weighs them blindly."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        )
        if cursor.fetchone():
            cursor.execute("ANALYZE audit_auditevent")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_refuse_erasing"),
        ("partners", "0012_single_sign_on"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="auditevent",
            name="audit_target",
        ),
        migrations.RemoveIndex(
            model_name="auditevent",
            name="audit_action",
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["partner", "action", "-created_at", "-id"],
                name="audit_partner_action",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["action", "-created_at", "-id"], name="audit_action"
            ),
        ),
        # Made last: SQLite, planning without statistics, weighs indexes that
        # look alike by the order they were made in, and a target's few events
        # must be found through it rather than the partner's.
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["target_id", "target_type"], name="audit_target"
            ),
        ),
        migrations.RunPython(refresh_statistics, migrations.RunPython.noop),
    ]
