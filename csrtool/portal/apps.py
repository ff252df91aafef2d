from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "csrtool.portal"
    label = "portal"
