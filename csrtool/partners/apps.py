from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "csrtool.partners"
    label = "partners"
