from django import forms
from django.conf import settings


def language_choices(*, default_label: str | None = None) -> list[tuple[str, str]]:
    """The languages subscribers' pages and emails come in, each named in itself;
    first an empty "default" choice when `default_label` is given."""
    choices = list(settings.LANGUAGES)
    return [("", default_label), *choices] if default_label else choices


class SubscriberForm(forms.Form):
    """Add Enterprise Account: exactly the seed's fields and labels.

    The service validates every field; the form only carries values and errors so
    the page, the API and the CLI share one set of rules and messages.
    """

    first_name = forms.CharField(label="First Name", required=False)
    last_name = forms.CharField(label="Last Name", required=False)
    email = forms.CharField(label="Email Address", required=False)
    phone = forms.CharField(label="Phone Number", required=False)
    time_zone = forms.CharField(label="Time Zone", required=False)
    language = forms.ChoiceField(
        label="Language",
        required=False,
        help_text="The welcome email and the customer's pages come in it.",
    )
    billing_id = forms.CharField(label="Billing ID", required=False)
    # The number, plan and features to give the new account at once (optional).
    number = forms.CharField(required=False, max_length=40)
    number_digits = forms.CharField(
        label="Find a number",
        required=False,
        max_length=20,
        help_text="Type digits of the number you want; the list narrows.",
    )
    plan = forms.CharField(required=False, max_length=100)
    features = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, partner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partner_choices is not None:
            self.fields["partner"] = forms.ChoiceField(
                label="Partner", choices=partner_choices, required=False
            )
        self.fields["language"].choices = language_choices(
            default_label="The partner's default" if partner_choices else None
        )
        attrs = {
            "first_name": {"autocomplete": "off", "maxlength": 100},
            "last_name": {"autocomplete": "off", "maxlength": 100},
            "email": {
                "type": "email",
                "autocomplete": "off",
                "maxlength": 254,
                "spellcheck": "false",
            },
            "phone": {"type": "tel", "autocomplete": "off", "maxlength": 40},
            "time_zone": {
                "list": "time-zones",
                "autocomplete": "off",
                "spellcheck": "false",
            },
            "billing_id": {"autocomplete": "off", "maxlength": 100},
        }
        for name, extra in attrs.items():
            self.fields[name].widget.attrs.update(extra)
            self.fields[name].widget.attrs["required"] = True
        self.fields["number_digits"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off"}
        )


class SubscriberEditForm(forms.Form):
    first_name = forms.CharField(label="First Name", required=False)
    last_name = forms.CharField(label="Last Name", required=False)
    contact_email = forms.CharField(
        label="Contact email",
        required=False,
        help_text="Leave empty to use the login email address.",
    )
    phone = forms.CharField(label="Phone Number", required=False)
    time_zone = forms.CharField(label="Time Zone", required=False)
    language = forms.ChoiceField(label="Language", required=False)
    billing_id = forms.CharField(label="Billing ID", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
        self.fields["time_zone"].widget.attrs.update({"list": "time-zones"})
        self.fields["contact_email"].widget.attrs.update({"type": "email"})
        self.fields["phone"].widget.attrs.update({"type": "tel"})


class StatusForm(forms.Form):
    transition = forms.ChoiceField(
        choices=[
            ("suspend", "Suspend"),
            ("reactivate", "Reactivate"),
            ("close", "Close"),
        ]
    )
    reason = forms.CharField(label="Reason", required=False, max_length=500)
