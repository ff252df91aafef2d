import pytest

from csrtool.features.tests.conftest import catalog, make_plan
from csrtool.numberpool.tests.make import make_number

__all__ = ["catalog"]


@pytest.fixture
def pool(cast):
    """An available number and a plan for bulk onboarding's rows to name."""
    make_number(cast.acme, "8005550111")
    make_plan(cast.alice, "Basic", "sms")
