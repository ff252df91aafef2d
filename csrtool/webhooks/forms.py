from django import forms

from csrtool.events.changes import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        required=False,
        help_text="An https:// address of your receiver on the public internet.",
    )
    description = forms.CharField(
        label="Description (optional)", required=False, help_text="e.g. Billing sync."
    )
    event_types = forms.MultipleChoiceField(
        label="Event types",
        required=False,
        choices=[(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event type.",
    )


class EndpointEditForm(EndpointForm):
    enabled = forms.BooleanField(label="Switched on", required=False)


class SendAgainForm(forms.Form):
    event_id = forms.CharField(label="Event ID", required=False)
    since = forms.DateTimeField(
        label="Or every event from",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label="until (optional)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
