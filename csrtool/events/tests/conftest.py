import importlib

import pytest
from django.apps import apps

from csrtool.events.models import Event


@pytest.fixture(autouse=True)
def catalog(db):
    """The shipped feature catalog, also after a transactional test emptied it."""
    seed = importlib.import_module("csrtool.features.migrations.0002_seed_catalog")
    seed.seed(apps, None)


def event_types(partner=None) -> list[str]:
    queryset = Event.objects.order_by("id")
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    return list(queryset.values_list("type", flat=True))


def last(type: str) -> Event:
    return Event.objects.filter(type=type).latest("id")
