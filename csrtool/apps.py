from django.apps import AppConfig


class CsrtoolConfig(AppConfig):
    name = "csrtool"
    verbose_name = "csrtool"
