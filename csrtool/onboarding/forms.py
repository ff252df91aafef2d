from django import forms

from csrtool.onboarding import policy

QUESTION_CHOICES = [
    ("", "Choose a question"),
    *policy.SECURITY_QUESTIONS,
    (policy.OWN_QUESTION, "Write my own question"),
]


class OnboardingForm(forms.Form):
    """Password, PIN and security question, set in one step.

    Fields only carry input, none of them required here: the service checks
    them all and reports every problem of a submit at once, so every door
    applies the same policies and nobody fixes one field per round.
    """

    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        max_length=4096,
        help_text=(
            f"At least {policy.PASSWORD_MIN_LENGTH} characters; up to "
            f"{policy.PASSWORD_MAX_LENGTH}. A phrase of several words works well."
        ),
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "data-show-password": True}
        ),
    )
    password_confirm = forms.CharField(
        label="Password again",
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "data-show-password": True}
        ),
    )
    pin = forms.CharField(
        label="PIN",
        required=False,
        max_length=64,
        help_text=(
            "6 to 8 digits, for calls to the phone system. Not one digit repeated "
            "and not a run like 123456."
        ),
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    pin_confirm = forms.CharField(
        label="PIN again",
        required=False,
        max_length=64,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    question = forms.ChoiceField(
        label="Security question",
        required=False,
        choices=QUESTION_CHOICES,
        help_text="Support may ask it, after your PIN, to confirm it is you.",
    )
    own_question = forms.CharField(
        label="Your own question",
        required=False,
        max_length=1000,
        help_text='Only when you chose "Write my own question".',
    )
    answer = forms.CharField(
        label="Answer",
        required=False,
        max_length=1000,
        strip=False,
        help_text="Capital letters and extra spaces do not matter.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class NewLinkForm(forms.Form):
    email = forms.CharField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
