from django.apps import AppConfig


class NumberpoolConfig(AppConfig):
    name = "csrtool.numberpool"
    label = "numberpool"
