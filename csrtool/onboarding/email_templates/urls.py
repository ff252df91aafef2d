from django.urls import path

from csrtool.onboarding.email_templates import views

urlpatterns = [
    path("settings/emails/", views.email_templates, name="email-templates"),
    path("settings/emails/<str:kind>/", views.email_template, name="email-template"),
    path(
        "settings/emails/<str:kind>/preview/",
        views.email_template_preview,
        name="email-template-preview",
    ),
    path(
        "settings/emails/<str:kind>/test/",
        views.email_template_test,
        name="email-template-test",
    ),
    path(
        "settings/emails/<str:kind>/reset/",
        views.email_template_reset,
        name="email-template-reset",
    ),
    path(
        "partners/<slug:slug>/emails/",
        views.partner_email_templates,
        name="partner-email-templates",
    ),
    path(
        "partners/<slug:slug>/emails/<str:kind>/",
        views.partner_email_template,
        name="partner-email-template",
    ),
    path(
        "partners/<slug:slug>/emails/<str:kind>/preview/",
        views.partner_email_template_preview,
        name="partner-email-template-preview",
    ),
    path(
        "partners/<slug:slug>/emails/<str:kind>/test/",
        views.partner_email_template_test,
        name="partner-email-template-test",
    ),
    path(
        "partners/<slug:slug>/emails/<str:kind>/reset/",
        views.partner_email_template_reset,
        name="partner-email-template-reset",
    ),
]
