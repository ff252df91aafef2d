from django import forms

from csrtool.partners.models import Role


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name", required=False, help_text="What uses the key, e.g. Billing sync."
    )
    role = forms.ChoiceField(
        label="Acts as",
        choices=[(r.value, r.label) for r in Role if r != Role.OPERATOR],
        initial=Role.CSR,
    )
    expires_on = forms.CharField(
        label="Expires on (optional)",
        required=False,
        help_text="YYYY-MM-DD: the key stops working when that day ends. Empty: no "
        "end date, but a key unused for the partner's set number of days stops too.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
