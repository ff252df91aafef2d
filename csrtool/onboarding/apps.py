from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "csrtool.onboarding"
    label = "onboarding"

    def ready(self):
        from csrtool.onboarding.services import welcome_new_subscriber
        from csrtool.subscribers import hooks

        hooks.on_created(welcome_new_subscriber)
