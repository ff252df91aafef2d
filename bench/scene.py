"""What every in-process path works with: the benchmark partner, its CSR and
admin as actors, the driver's own cursor for ceilings, and seeded samples of the
data to build inputs from."""

import random
from dataclasses import dataclass, field

from bench import dataset
from bench.load import STAFF


@dataclass
class Path:
    """One hot path: the product's call, the raw-SQL ceiling for the same work,
    and the inputs both run on. `steps` holds more (product, ceiling) pairs
    timed after the first for the same input (unassign after assign)."""

    key: str
    label: str
    group: str
    product: object
    ceiling: object
    ceiling_label: str
    inputs: list
    steps: list = field(default_factory=list)
    # (product result, ceiling result) -> bool: the two answered the same.
    agree: object = None
    memory_inputs: list | None = None


class Scene:
    def __init__(self, size_name: str, seed: int = dataset.SEED):
        from django.db import connection

        from csrtool import timezones
        from csrtool.partners.access import staff_actor
        from csrtool.partners.models import Partner, User

        self.size_name = size_name
        self.layout = dataset.Layout(dataset.SIZES[size_name])
        self.rng = random.Random(f"inputs-{seed}-{size_name}")
        self.partner = Partner.objects.get(slug=dataset.MAIN)
        self.csr = staff_actor(User.objects.get(email_canonical=STAFF["csr"]))
        self.admin = staff_actor(User.objects.get(email_canonical=STAFF["admin"]))
        self.region = timezones.zone_territory(self.partner.time_zone)
        connection.ensure_connection()
        self.connection = connection
        self.vendor = connection.vendor
        self.raw = connection.connection

    def sql(self, statement: str) -> str:
        """A statement written with %s placeholders, for this driver."""
        return statement.replace("%s", "?") if self.vendor == "sqlite" else statement

    def fetch(self, statement: str, params=()) -> list:
        cursor = self.raw.cursor()
        cursor.execute(self.sql(statement), params)
        rows = cursor.fetchall()
        cursor.close()
        return rows

    def execute(self, statement: str, params=()) -> int:
        cursor = self.raw.cursor()
        cursor.execute(self.sql(statement), params)
        count = cursor.rowcount
        cursor.close()
        return count

    def stamp(self, value):
        """A datetime as the driver takes it for a DateTimeField."""
        return self.connection.ops.adapt_datetimefield_value(value)

    def sample_ids(self, count: int) -> list[int]:
        """Row ids of the main partner's subscribers or numbers (both start at 1)."""
        return self.rng.sample(range(1, self.layout.size + 1), count)

    def subscribers(self, count: int, **filters) -> list:
        from csrtool.subscribers.models import Subscriber

        rows = list(
            Subscriber.objects.filter(
                partner=self.partner, pk__in=self.sample_ids(count * 3), **filters
            )
        )
        self.rng.shuffle(rows)
        return rows[:count]

    def numbers(self, count: int, **filters) -> list:
        from csrtool.numberpool.models import PhoneNumber

        rows = list(
            PhoneNumber.objects.filter(
                partner=self.partner, pk__in=self.sample_ids(count * 4), **filters
            ).order_by("pk")
        )
        self.rng.shuffle(rows)
        return rows[:count]
