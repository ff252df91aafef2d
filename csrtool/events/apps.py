from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "csrtool.events"
    label = "events"

    def ready(self):
        from csrtool.audit.services import LISTENERS
        from csrtool.events.changes import record_change_events

        if record_change_events not in LISTENERS:
            LISTENERS.append(record_change_events)
