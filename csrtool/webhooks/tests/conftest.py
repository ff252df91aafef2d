import importlib

import pytest
from django.apps import apps

from csrtool.webhooks.tests.receiver import Receiver


@pytest.fixture(autouse=True)
def catalog(db):
    seed = importlib.import_module("csrtool.features.migrations.0002_seed_catalog")
    seed.seed(apps, None)


@pytest.fixture
def receiver(settings):
    """A partner's receiver on 127.0.0.1, which the operator setting allows."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    server = Receiver().start()
    yield server
    server.stop()
