from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "csrtool.partners"
    label = "partners"

    def ready(self):
        from csrtool.partners import login_events  # noqa: F401  (connects receivers)
