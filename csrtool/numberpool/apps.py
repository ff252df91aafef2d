from django.apps import AppConfig


class NumberpoolConfig(AppConfig):
    name = "csrtool.numberpool"
    label = "numberpool"

    def ready(self):
        from csrtool.numberpool.services import release_subscriber_numbers
        from csrtool.subscribers import hooks

        hooks.on_closed(release_subscriber_numbers)
