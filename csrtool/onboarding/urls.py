from django.urls import path

from csrtool.onboarding import views

urlpatterns = [
    path("welcome/new-link/", views.new_link, name="onboarding-new-link"),
    path("welcome/<str:token>/", views.start, name="onboarding-start"),
    path(
        "subscribers/<str:public_id>/welcome-email/",
        views.resend,
        name="onboarding-resend",
    ),
]
