from django import forms

from csrtool.numberpool.models import NumberType

_TEXT = {"autocomplete": "off", "spellcheck": "false"}


class AddNumberForm(forms.Form):
    """Number Pool Admin's Add Number: the original's fields. The service checks
    every field, so the page, the import, the API and the CLI share one rule set."""

    number = forms.CharField(
        label="Phone Number",
        required=False,
        help_text="Any common format, e.g. 800-555-1234 or +1 800 555 1234.",
    )
    dnis = forms.CharField(
        label="DNIS",
        required=False,
        help_text=(
            "The digits the carrier delivers, e.g. 8005551234. Left empty, they "
            "are taken from a number given with + and its country code."
        ),
    )
    number_type = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[("", "Choose a type"), *NumberType.choices],
    )
    country_code = forms.CharField(
        label="Country code",
        required=False,
        help_text="e.g. 1 or 44. Left empty, it is taken from a number given with +.",
    )
    area_code = forms.CharField(
        label="Area code",
        required=False,
        help_text="e.g. 800. Left empty, it is taken from the number.",
    )
    subscriber_id = forms.CharField(
        label="Subscriber ID",
        required=False,
        max_length=254,
        help_text=(
            "Optional: the number is then added already assigned. Or the "
            "subscriber's login email address."
        ),
    )

    def __init__(self, *args, partner_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partner_choices is not None:
            self.fields["partner"] = forms.ChoiceField(
                label="Partner", choices=partner_choices, required=False
            )
            self.order_fields(["partner"])
        for name in ("number", "dnis", "country_code", "area_code", "subscriber_id"):
            self.fields[name].widget.attrs.update(_TEXT)
        self.fields["number"].widget.attrs.update({"type": "tel", "maxlength": 40})
        self.fields["dnis"].widget.attrs.update(
            {"inputmode": "numeric", "maxlength": 15}
        )
        self.fields["country_code"].widget.attrs.update(
            {"inputmode": "numeric", "maxlength": 4}
        )
        self.fields["area_code"].widget.attrs.update(
            {"inputmode": "numeric", "maxlength": 8}
        )
        for name in ("number", "number_type"):
            self.fields[name].widget.attrs["required"] = True


class RemoveNumberForm(forms.Form):
    dnis = forms.CharField(label="DNIS of the number to remove", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "remove")
        super().__init__(*args, **kwargs)
        self.fields["dnis"].widget.attrs.update(
            {**_TEXT, "inputmode": "numeric", "maxlength": 20, "required": True}
        )


class AssignForm(forms.Form):
    """Assign/Unassign Number: the seed's two fields."""

    number = forms.CharField(
        label="Phone Number",
        required=False,
        help_text="The number in any format, or its DNIS.",
    )
    subscriber_id = forms.CharField(
        label="Subscriber ID",
        required=False,
        max_length=254,
        help_text="Or the subscriber's login email address.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update(
            {**_TEXT, "type": "tel", "maxlength": 40, "required": True}
        )
        self.fields["subscriber_id"].widget.attrs.update(
            {**_TEXT, "maxlength": 254, "required": True}
        )


class RetireNumberForm(forms.Form):
    """The number page's Retire / Return to pool: an optional reason for the log."""

    reason = forms.CharField(
        label="Reason",
        required=False,
        help_text="Optional, kept in the number's history.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "retire")
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs.update({"maxlength": 500})
