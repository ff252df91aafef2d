import importlib

import pytest
from django.apps import apps

from csrtool.audit.models import AuditEvent
from csrtool.features import services
from csrtool.features.catalog import feature_state
from csrtool.partners.access import staff_actor


@pytest.fixture(autouse=True)
def catalog(db):
    """The shipped catalog, also after a transactional test elsewhere emptied it."""
    seed = importlib.import_module("csrtool.features.migrations.0002_seed_catalog")
    seed.seed(apps, None)


def enabled(subscriber) -> set[str]:
    return feature_state(subscriber).enabled


def sources(subscriber) -> dict[str, str]:
    return feature_state(subscriber).sources


def events(action, subscriber=None):
    queryset = AuditEvent.objects.filter(action=action)
    if subscriber is not None:
        queryset = queryset.filter(target_id=subscriber.public_id)
    return list(queryset.order_by("id"))


def give(subscriber, *keys, by):
    """Enable features (and what they need) as a member of staff."""
    return services.change_features(
        actor=staff_actor(by),
        public_id=subscriber.public_id,
        enable=keys,
        enable_dependencies=True,
    )


def make_plan(user, name, *keys, description=""):
    return services.create_plan(
        actor=staff_actor(user), name=name, features=keys, description=description
    )


def narrow(partner, *keys):
    from csrtool.partners.access import cli_actor

    return services.set_entitlements(actor=cli_actor(), partner=partner, features=keys)


@pytest.fixture
def bob(cast):
    return staff_actor(cast.bob)


def make_number(partner, digits, *, subscriber=None, status=None, **fields):
    from csrtool.numberpool.models import NumberStatus, PhoneNumber

    status = status or (NumberStatus.ASSIGNED if subscriber else NumberStatus.AVAILABLE)
    return PhoneNumber.objects.create(
        partner=partner,
        number=f"+1{digits}",
        dnis=digits,
        number_type=fields.pop("number_type", "local"),
        country_code="1",
        area_code=digits[:3],
        status=status,
        subscriber=subscriber,
        **fields,
    )


def activate(subscriber):
    from django.utils import timezone

    subscriber.status = "active"
    subscriber.activated_at = timezone.now()
    subscriber.save()
