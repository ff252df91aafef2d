from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "csrtool.webhooks"
    label = "webhooks"

    def ready(self):
        from csrtool.events.feed import PUBLISH_LISTENERS
        from csrtool.webhooks.delivery import fan_out

        if fan_out not in PUBLISH_LISTENERS:
            PUBLISH_LISTENERS.append(fan_out)
