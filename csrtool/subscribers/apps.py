from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "csrtool.subscribers"
    label = "subscribers"
