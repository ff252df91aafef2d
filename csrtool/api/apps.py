from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "csrtool.api"
    label = "api"
