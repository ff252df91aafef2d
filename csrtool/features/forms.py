from django import forms


class PickSubscriberForm(forms.Form):
    subscriber = forms.CharField(
        label="Subscriber ID or login email",
        required=False,
        help_text="The Subscriber ID or the subscriber's login email address.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscriber"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "maxlength": 254}
        )


class PlanForm(forms.Form):
    """Name and description; the features come as a checkbox list beside it."""

    name = forms.CharField(label="Plan name", required=False)
    description = forms.CharField(
        label="Description",
        required=False,
        help_text="What the plan is for, as the CSRs will see it.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"maxlength": 100, "required": True})
        self.fields["description"].widget.attrs.update({"maxlength": 300})


class CatalogFeatureForm(forms.Form):
    name = forms.CharField(label="Name", required=False)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(
        label="Partners may grant this feature (active)", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"maxlength": 100})
