from csrtool.features.tests.conftest import catalog

__all__ = ["catalog"]
