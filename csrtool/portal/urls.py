from django.urls import path

from csrtool.onboarding import verify_views
from csrtool.portal import links_views, views

urlpatterns = [
    path("portal/", views.home, name="portal-home"),
    path("portal/login/", views.login, name="portal-login"),
    path("portal/logout/", views.logout, name="portal-logout"),
    path("portal/settings/", views.account_settings, name="portal-settings"),
    path(
        "portal/forgot-password/",
        links_views.forgot_password,
        name="portal-forgot-password",
    ),
    path("portal/reset/", links_views.reset_password, name="portal-reset"),
    path("portal/reset/<str:token>/", links_views.reset_link, name="portal-reset-link"),
    path(
        "portal/email/confirm/<str:token>/",
        links_views.confirm_email,
        name="portal-confirm-email",
    ),
    # CSR pages for a caller on the phone, next to the subscriber's page.
    path(
        "subscribers/<str:public_id>/verify-caller/",
        verify_views.verify_caller,
        name="onboarding-verify-caller",
    ),
    path(
        "subscribers/<str:public_id>/password-reset/",
        verify_views.send_password_reset,
        name="onboarding-send-reset",
    ),
    path(
        "subscribers/<str:public_id>/sign-in-lock/unlock/",
        verify_views.unlock_sign_in,
        name="portal-unlock-sign-in",
    ),
]
