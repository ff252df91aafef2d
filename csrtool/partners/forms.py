from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from csrtool.partners import sign_in, single_sign_on
from csrtool.partners.models import Role, SecondFactorPolicy
from csrtool.validation import canonical_email


class StaffLoginForm(AuthenticationForm):
    username = forms.CharField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": "That email address and password do not match an account.",
        "inactive": "That email address and password do not match an account.",
        "paused": sign_in.PAUSED,
        "password_required": "Enter your password.",
        "sso_only": "Your organisation signs you in: leave the password blank and "
        "choose Sign in to continue at its sign-in page.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].required = False
        self.fields[
            "password"
        ].help_text = (
            "Leave it blank if your organisation signs you in (single sign-on)."
        )

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and not password:
            raise ValidationError(
                self.error_messages["password_required"], code="password_required"
            )
        if username and password is not None:
            canonical = canonical_email(username)
            if sign_in.refused(
                request=self.request,
                canonical=canonical,
                source_ip=self.request.META.get("REMOTE_ADDR") or "",
            ):
                sign_in.spend_equal_time(password)
                raise ValidationError(self.error_messages["paused"], code="paused")
        cleaned = super().clean()
        if self.user_cache is not None and single_sign_on.password_refused(
            self.user_cache
        ):
            raise ValidationError(self.error_messages["sso_only"], code="sso_only")
        return cleaned


class PartnerForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    slug = forms.CharField(
        label="Slug", required=False, help_text="Lowercase letters, digits and hyphens."
    )
    time_zone = forms.CharField(
        label="Default time zone",
        required=False,
        widget=forms.TextInput(attrs={"list": "time-zones"}),
    )


class PartnerSettingsForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    time_zone = forms.CharField(
        label="Default time zone for new subscribers",
        required=False,
        widget=forms.TextInput(attrs={"list": "time-zones"}),
    )
    default_language = forms.ChoiceField(
        label="Default language for new subscribers",
        choices=settings.LANGUAGES,
        required=False,
        help_text="Their welcome email and pages come in it; a CSR may pick "
        "another for one subscriber, and subscribers may change theirs.",
    )
    product_name = forms.CharField(label="Product name in emails", required=False)
    sender_name = forms.CharField(label="Email sender name", required=False)
    sender_email = forms.CharField(label="Email sender address", required=False)
    support_email = forms.CharField(label="Support email", required=False)
    support_phone = forms.CharField(label="Support phone", required=False)
    link_expiry_hours = forms.CharField(
        label="Welcome links expire after (hours)",
        required=False,
        help_text=(
            "1 to 720 hours (default 72), for the link in the welcome email. Other "
            "links have fixed lifetimes: a password-reset link works for 60 minutes "
            "at most, as it opens the account (a security limit that cannot be "
            "raised), and a link confirming a new login email for 24 hours."
        ),
    )
    number_aging_days = forms.CharField(
        label="Released numbers age for (days)", required=False
    )
    number_hold_minutes = forms.CharField(
        label="A held number is released after (minutes)", required=False
    )
    api_key_idle_days = forms.CharField(
        label="API keys stop working after this many days unused",
        required=False,
        help_text="0 to 3650 days (default 90); 0: keys never stop for being unused.",
    )
    invitations_per_minute = forms.CharField(
        label="Welcome emails of a bulk import go out at (per minute)",
        required=False,
        help_text="1 to 6000 (default 60), so a big import does not flood your "
        "customers' mail servers or your support line.",
    )
    brand_primary = forms.CharField(
        label="Primary colour (buttons and links your customers see)",
        required=False,
        help_text="#RRGGBB; empty for the standard blue. White text must be "
        "readable on it (WCAG 2.2 AA: contrast at least 4.5:1).",
    )
    brand_accent = forms.CharField(
        label="Accent colour (the top bar of your customers' pages)",
        required=False,
        help_text="#RRGGBB; empty for the standard dark blue. Same contrast rule.",
    )
    self_service_numbers = forms.BooleanField(
        label="Subscribers may add numbers from the pool themselves", required=False
    )
    terms_url = forms.CharField(
        label="Terms of service page",
        required=False,
        help_text="https://…; shown in the footer of your customers' pages and "
        "emails, as are the two below. Empty: not shown.",
    )
    privacy_url = forms.CharField(label="Privacy page", required=False)
    support_url = forms.CharField(label="Support page", required=False)
    second_factor_required_for = forms.ChoiceField(
        label="Second factor required for",
        choices=SecondFactorPolicy.choices,
        required=False,
        help_text="Who of your staff must enter a code from an authenticator app "
        "after their password. Whoever has none set up is walked through it at "
        "their next sign-in.",
    )
    portal_host = forms.CharField(
        label="Portal host for this partner's customers",
        required=False,
        help_text="e.g. account.acme-voice.example; empty: the main host. Its "
        "welcome, portal and email links use it. Point its DNS at this server and "
        "give the proxy a TLS certificate for it first (see the README).",
    )

    def __init__(self, *args, operator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not operator:
            # Only the platform operator points a host at a partner.
            del self.fields["portal_host"]


def role_choices(actor):
    return [
        (value, label)
        for value, label in Role.choices
        if value != Role.OPERATOR or actor.is_operator
    ]


class StaffForm(forms.Form):
    email = forms.CharField(
        label="Email address", required=False, widget=forms.EmailInput()
    )
    full_name = forms.CharField(label="Name", required=False)
    role = forms.ChoiceField(label="Role", choices=Role.choices)

    def __init__(self, *args, actor, partner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor)
        if partner_choices is not None:
            self.fields["partner"] = forms.ChoiceField(
                label="Partner", choices=partner_choices, required=False
            )


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label="Name", required=False)
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    time_zone = forms.CharField(
        label="Time zone",
        required=False,
        help_text="Empty: the partner's time zone.",
        widget=forms.TextInput(attrs={"list": "time-zones"}),
    )
    is_active = forms.BooleanField(label="Can sign in", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor)
