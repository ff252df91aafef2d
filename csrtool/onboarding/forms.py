from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from csrtool.onboarding import policy

# The label of the toggle show_password.js adds to a password field.
SHOW_PASSWORD = gettext_lazy("Show password")

QUESTION_CHOICES = [
    ("", gettext_lazy("Choose a question")),
    *policy.SECURITY_QUESTIONS,
    (policy.OWN_QUESTION, gettext_lazy("Write my own question")),
]


class OnboardingForm(forms.Form):
    """Password, PIN and security question, set in one step.

    Fields only carry input, none of them required here: the service checks
    them all and reports every problem of a submit at once, so every door
    applies the same policies and nobody fixes one field per round.
    """

    password = forms.CharField(
        label=gettext_lazy("Password"),
        required=False,
        strip=False,
        max_length=4096,
        help_text=format_lazy(
            gettext_lazy(
                "At least {least} characters; up to {most}. A phrase of several "
                "words works well."
            ),
            least=policy.PASSWORD_MIN_LENGTH,
            most=policy.PASSWORD_MAX_LENGTH,
        ),
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "data-show-password": SHOW_PASSWORD}
        ),
    )
    password_confirm = forms.CharField(
        label=gettext_lazy("Password again"),
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "data-show-password": SHOW_PASSWORD}
        ),
    )
    pin = forms.CharField(
        label=gettext_lazy("PIN"),
        required=False,
        max_length=64,
        help_text=gettext_lazy(
            "6 to 8 digits, for calls to the phone system. Not one digit repeated "
            "and not a run like 123456."
        ),
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    pin_confirm = forms.CharField(
        label=gettext_lazy("PIN again"),
        required=False,
        max_length=64,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    question = forms.ChoiceField(
        label=gettext_lazy("Security question"),
        required=False,
        choices=QUESTION_CHOICES,
        help_text=gettext_lazy(
            "Support may ask it, after your PIN, to confirm it is you."
        ),
    )
    own_question = forms.CharField(
        label=gettext_lazy("Your own question"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy('Only when you chose "Write my own question".'),
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        required=False,
        max_length=1000,
        strip=False,
        help_text=gettext_lazy("Capital letters and extra spaces do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class NewLinkForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
