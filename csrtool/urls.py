from django.urls import include, path, re_path

from csrtool import views
from csrtool.api import views as api_views
from csrtool.audit import views as audit_views
from csrtool.onboarding import preview as onboarding_preview
from csrtool.partners import passkey_views, second_factor_views, sso_views
from csrtool.partners import views as partner_views
from csrtool.subscribers import add_flow
from csrtool.subscribers import views as subscriber_views
from csrtool.workflows import import_views

urlpatterns = [
    path("", views.home, name="console-home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", partner_views.LoginView.as_view(), name="login"),
    path(
        "login/second-factor/",
        second_factor_views.login_second_factor,
        name="login-second-factor",
    ),
    path(
        "login/second-factor/set-up/",
        second_factor_views.login_second_factor_setup,
        name="login-second-factor-setup",
    ),
    path(
        "login/second-factor/set-up/passkey/",
        second_factor_views.login_second_factor_setup_passkey,
        name="login-second-factor-setup-passkey",
    ),
    path(
        "login/second-factor/set-up/passkey-options/",
        passkey_views.sign_in_setup_options,
        name="login-second-factor-setup-passkey-options",
    ),
    path(
        "login/second-factor/passkey-options/",
        passkey_views.sign_in_options,
        name="passkey-options",
    ),
    path(
        "login/sso/continue/",
        sso_views.continue_to_provider,
        name="login-sso-continue",
    ),
    path("login/sso/callback/", sso_views.callback, name="login-sso-callback"),
    path("login/sso/step-up/", sso_views.step_up, name="login-sso-step-up"),
    path("logout/", sso_views.logout, name="logout"),
    path("account/security/", second_factor_views.security, name="staff-security"),
    path(
        "account/security/authenticator/",
        second_factor_views.security_authenticator,
        name="staff-security-authenticator",
    ),
    path(
        "account/security/authenticator/remove/",
        second_factor_views.security_remove_authenticator,
        name="staff-security-authenticator-remove",
    ),
    path(
        "account/security/recovery-codes/",
        second_factor_views.security_recovery_codes,
        name="staff-security-recovery-codes",
    ),
    path(
        "account/security/passkeys/options/",
        passkey_views.add_options,
        name="staff-security-passkey-options",
    ),
    path(
        "account/security/passkeys/",
        passkey_views.add,
        name="staff-security-passkey-add",
    ),
    path(
        "account/security/passkeys/<int:passkey_id>/remove/",
        passkey_views.remove,
        name="staff-security-passkey-remove",
    ),
    path(
        "account/confirm/",
        second_factor_views.confirm,
        name="second-factor-confirm",
    ),
    path(
        "staff/set-password/<uidb64>/<token>/",
        partner_views.SetPasswordView.as_view(),
        name="staff-set-password",
    ),
    path("subscribers/", subscriber_views.lookup, name="subscriber-lookup"),
    path("subscribers/new/", add_flow.add, name="subscriber-add"),
    path(
        "subscribers/new/numbers/",
        add_flow.number_choices,
        name="subscriber-add-numbers",
    ),
    path("subscribers/import/", import_views.import_start, name="subscriber-import"),
    path(
        "subscribers/import/<int:import_id>/",
        import_views.import_detail,
        name="subscriber-import-detail",
    ),
    path(
        "subscribers/import/<int:import_id>/run/",
        import_views.import_run,
        name="subscriber-import-run",
    ),
    path(
        "subscribers/import/<int:import_id>/invite/",
        import_views.import_invite,
        name="subscriber-import-invite",
    ),
    path(
        "subscribers/import/<int:import_id>/result.csv",
        import_views.import_result,
        name="subscriber-import-result",
    ),
    path(
        "subscribers/<str:public_id>/",
        subscriber_views.detail,
        name="subscriber-detail",
    ),
    path(
        "subscribers/<str:public_id>/created/",
        add_flow.created,
        name="subscriber-created",
    ),
    path(
        "subscribers/<str:public_id>/edit/",
        subscriber_views.edit,
        name="subscriber-edit",
    ),
    path(
        "subscribers/<str:public_id>/status/",
        subscriber_views.change_status,
        name="subscriber-status",
    ),
    path("audit/", audit_views.audit_log, name="audit-log"),
    path("audit/export.csv", audit_views.audit_export, name="audit-export"),
    path("brand/<slug:slug>.css", partner_views.brand_css, name="partner-brand-css"),
    re_path(
        r"^brand/(?P<slug>[-a-z0-9]+)/(?P<kind>logo|favicon)-(?P<digest>[0-9a-f]{16})"
        r"\.(?P<extension>png|webp|svg)$",
        partner_views.brand_image,
        name="partner-brand-image",
    ),
    path("staff/", partner_views.staff_list, name="staff-list"),
    path("staff/new/", partner_views.staff_add, name="staff-add"),
    path("staff/<int:staff_id>/", partner_views.staff_edit, name="staff-edit"),
    path(
        "staff/<int:staff_id>/invite/",
        partner_views.staff_invite,
        name="staff-invite",
    ),
    path(
        "staff/<int:staff_id>/clear-sign-in/",
        partner_views.staff_clear_sign_in,
        name="staff-clear-sign-in",
    ),
    path(
        "staff/<int:staff_id>/second-factor/reset/",
        second_factor_views.staff_reset,
        name="staff-second-factor-reset",
    ),
    path("settings/", partner_views.partner_settings, name="partner-settings"),
    path(
        "settings/preview/welcome/",
        onboarding_preview.welcome_page,
        name="settings-preview-welcome",
    ),
    path(
        "settings/preview/welcome-email/",
        onboarding_preview.welcome_email,
        name="settings-preview-welcome-email",
    ),
    path(
        "settings/preview/brand.css",
        onboarding_preview.brand_css,
        name="settings-preview-brand-css",
    ),
    path(
        "settings/single-sign-on/",
        sso_views.partner_single_sign_on,
        name="partner-single-sign-on",
    ),
    path("partners/", partner_views.partner_list, name="partner-list"),
    path("partners/new/", partner_views.partner_add, name="partner-add"),
    path("partners/<slug:slug>/", partner_views.partner_detail, name="partner-detail"),
    path("partners/<slug:slug>/edit/", partner_views.partner_edit, name="partner-edit"),
    path(
        "partners/<slug:slug>/single-sign-on/",
        sso_views.operator_single_sign_on,
        name="partner-edit-single-sign-on",
    ),
    path(
        "partners/<slug:slug>/images/<str:kind>/",
        partner_views.brand_image_upload,
        name="partner-image-upload",
    ),
    path(
        "partners/<slug:slug>/images/<str:kind>/remove/",
        partner_views.brand_image_remove,
        name="partner-image-remove",
    ),
    path("", include("csrtool.onboarding.urls")),
    path("", include("csrtool.onboarding.email_templates.urls")),
    path("", include("csrtool.portal.urls")),
    path("", include("csrtool.numberpool.urls")),
    path("", include("csrtool.features.urls")),
    path("", include("csrtool.webhooks.urls")),
    path("api/v1/", include("csrtool.api.urls")),
    path("settings/api-keys/", api_views.api_keys, name="api-keys"),
    path(
        "settings/api-keys/<str:prefix>/revoke/",
        api_views.revoke,
        name="api-key-revoke",
    ),
]

handler403 = "csrtool.views.permission_denied"
handler404 = "csrtool.views.page_not_found"
handler500 = "csrtool.views.server_error"
