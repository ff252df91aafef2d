from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    name = "csrtool.features"
    label = "features"
