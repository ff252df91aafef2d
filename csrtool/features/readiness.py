"""How far a subscriber is on its way to ready: created, onboarded, number, features.

A subscriber is ready when its account exists, the subscriber has completed
onboarding (activated from the welcome email), it has at least one assigned
number and at least one enabled feature.
"""

import functools
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Func, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from csrtool.features.models import Source, SubscriberFeature
from csrtool.numberpool.models import NumberStatus, PhoneNumber
from csrtool.prepared import executed
from csrtool.subscribers.models import Subscriber


def annotate_readiness(queryset: QuerySet) -> QuerySet:
    """Add `has_number` and `has_features` to a Subscriber queryset, in one query."""
    return queryset.annotate(**_readiness_columns())


class _ExistsFor(Func):
    """EXISTS of a statement about one subscriber, whose id the statement reads
    as `{subscriber}` (after its own parameters): written once, where an
    Exists(queryset) builds and compiles its whole inner query again on every
    query it is part of (a quarter of an exact Subscriber Lookup). The
    statement's own table takes an alias Django never gives, so the outer row
    is never mistaken for it."""

    output_field = BooleanField()

    def __init__(self, statement: str, params: list):
        super().__init__(F("pk"))
        self.statement, self.params = statement, params

    def as_sql(self, compiler, connection, fence="", **extra):
        subscriber, params = compiler.compile(self.source_expressions[0])
        sql = self.statement.format(subscriber=subscriber)
        return f"EXISTS({sql}{fence})", [*self.params, *params]

    def as_postgresql(self, compiler, connection, **extra):
        # OFFSET 0 keeps PostgreSQL from reading the EXISTS as an IN of every
        # row the statement holds (a fifth of a million assigned numbers) put
        # in a hash before the first subscriber is read, whatever the LIMIT:
        # each subscriber read asks its table's subscriber index instead.
        return self.as_sql(compiler, connection, fence=" OFFSET 0", **extra)


@functools.cache
def _readiness_columns() -> dict:
    """The two EXISTS, each on its table's subscriber index."""
    numbers = PhoneNumber._meta.db_table
    features = SubscriberFeature._meta.db_table
    return {
        "has_number": _ExistsFor(
            f"SELECT 1 FROM {numbers} readiness_number "  # noqa: S608
            "WHERE readiness_number.status = %s "
            "AND readiness_number.subscriber_id = {subscriber}",
            [NumberStatus.ASSIGNED.value],
        ),
        "has_features": _ExistsFor(
            f"SELECT 1 FROM {features} readiness_feature "  # noqa: S608
            "WHERE readiness_feature.source <> %s "
            "AND readiness_feature.subscriber_id = {subscriber}",
            [Source.REMOVED.value],
        ),
    }


@functools.cache
def _others_and_features() -> str:
    numbers = PhoneNumber._meta.db_table
    features = SubscriberFeature._meta.db_table
    return (
        f"SELECT EXISTS(SELECT 1 FROM {numbers} "  # noqa: S608
        "WHERE status = %s AND subscriber_id = %s AND id <> %s), "
        f"EXISTS(SELECT 1 FROM {features} "
        "WHERE source <> %s AND subscriber_id = %s)"
    )


def other_number_and_features(subscriber_id: int, number_id: int) -> tuple:
    """Whether the subscriber has an assigned number besides `number_id`, and
    whether it has a feature: one fixed statement, on each table's subscriber
    index (the check of a subscriber's first number, on every assignment)."""
    params = [
        NumberStatus.ASSIGNED.value,
        subscriber_id,
        number_id,
        Source.REMOVED.value,
        subscriber_id,
    ]
    with executed(connection, _others_and_features(), params) as cursor:
        others, features = cursor.fetchone()
    return bool(others), bool(features)


def step_url(url_name: str, subscriber: Subscriber) -> str:
    try:
        base = reverse(url_name)
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode({'subscriber': subscriber.public_id})}"


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    short: str
    done: bool
    url: str


@dataclass
class Readiness:
    subscriber: Subscriber
    onboarded: bool
    number: bool
    features: bool

    @property
    def steps(self) -> list[Step]:
        s = self.subscriber
        detail = reverse("subscriber-detail", args=[s.public_id])
        return [
            Step("created", "Account created", "Account", True, detail),
            Step(
                "onboarded",
                "Onboarding completed by the subscriber",
                "Onboarded",
                self.onboarded,
                f"{detail}#onboarding-emails-heading",
            ),
            Step(
                "number",
                "Number assigned",
                "Number",
                self.number,
                f"{detail}#assign-number",
            ),
            Step(
                "features",
                "Features enabled",
                "Features",
                self.features,
                f"{detail}#enable-features",
            ),
        ]

    @property
    def done_count(self) -> int:
        return 1 + self.onboarded + self.number + self.features

    @property
    def complete(self) -> bool:
        return self.done_count == 4

    @property
    def missing(self) -> list[Step]:
        return [step for step in self.steps if not step.done]


def readiness_of(subscriber: Subscriber) -> Readiness:
    """From `annotate_readiness` when the subscriber has it, else two small queries."""
    if hasattr(subscriber, "has_number") and hasattr(subscriber, "has_features"):
        number, features = subscriber.has_number, subscriber.has_features
    else:
        number = PhoneNumber.objects.filter(
            subscriber=subscriber, status=NumberStatus.ASSIGNED
        ).exists()
        features = (
            SubscriberFeature.objects.filter(subscriber=subscriber).enabled().exists()
        )
    return Readiness(
        subscriber=subscriber,
        onboarded=subscriber.activated_at is not None,
        number=bool(number),
        features=bool(features),
    )
