from django.db import migrations, models

FIELD = models.CharField(default="en", max_length=8)


def add_column(apps, schema_editor):
    """SQLite: a plain ADD COLUMN. Django's own way there rebuilds the table,
    which would drop the search index's triggers (0002_search_indexes)."""
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "ALTER TABLE subscribers_subscriber "
            "ADD COLUMN language varchar(8) NOT NULL DEFAULT 'en'"
        )
    else:
        field = FIELD.clone()
        field.set_attributes_from_name("language")
        schema_editor.add_field(apps.get_model("subscribers", "Subscriber"), field)


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE subscribers_subscriber DROP COLUMN language")


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0006_import_part_invitations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="subscriber", name="language", field=FIELD
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
