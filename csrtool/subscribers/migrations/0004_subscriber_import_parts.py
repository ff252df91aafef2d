import django.db.models.deletion
from django.db import migrations, models


def move_ids_to_parts(apps, schema_editor):
    """An import's Subscriber IDs, written so far into one column, become its
    first part."""
    SubscriberImport = apps.get_model("subscribers", "SubscriberImport")
    SubscriberImportPart = apps.get_model("subscribers", "SubscriberImportPart")
    for job in SubscriberImport.objects.exclude(subscriber_ids={}).iterator():
        SubscriberImportPart.objects.create(
            subscriber_import=job, first_row=0, subscriber_ids=job.subscriber_ids
        )


def move_ids_back(apps, schema_editor):
    SubscriberImport = apps.get_model("subscribers", "SubscriberImport")
    for job in SubscriberImport.objects.iterator():
        ids = {}
        for part in job.parts.order_by("first_row"):
            ids.update(part.subscriber_ids)
        if ids:
            SubscriberImport.objects.filter(pk=job.pk).update(subscriber_ids=ids)


class Migration(migrations.Migration):
    dependencies = [
        ("subscribers", "0003_subscriberimport"),
    ]

    operations = [
        migrations.CreateModel(
            name="SubscriberImportPart",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("first_row", models.PositiveIntegerField()),
                ("subscriber_ids", models.JSONField(default=dict)),
                (
                    "subscriber_import",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="subscribers.subscriberimport",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("subscriber_import", "first_row"),
                        name="subscriber_import_part_once",
                    )
                ],
            },
        ),
        migrations.RunPython(move_ids_to_parts, move_ids_back),
        migrations.RemoveField(
            model_name="subscriberimport",
            name="subscriber_ids",
        ),
    ]
