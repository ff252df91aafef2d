from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "csrtool.onboarding"
    label = "onboarding"

    def ready(self):
        from csrtool.onboarding.services import (
            welcome_new_subscriber,
            welcome_new_subscribers,
        )
        from csrtool.subscribers import hooks

        hooks.on_created(welcome_new_subscriber)
        hooks.on_created_together(welcome_new_subscribers)
