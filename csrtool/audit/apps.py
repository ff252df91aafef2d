from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "csrtool.audit"
    label = "audit"
