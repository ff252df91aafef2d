from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "csrtool.portal"
    label = "portal"

    def ready(self):
        from csrtool.portal import mail

        mail.register()
