from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "csrtool.onboarding"
    label = "onboarding"
