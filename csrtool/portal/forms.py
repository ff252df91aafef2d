from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from csrtool.onboarding import policy
from csrtool.onboarding.forms import SHOW_PASSWORD
from csrtool.subscribers.forms import language_choices


def _password(label, autocomplete, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=help_text,
        # data-show-password: show_password.js adds a toggle with this label.
        widget=forms.PasswordInput(
            attrs={"autocomplete": autocomplete, "data-show-password": SHOW_PASSWORD}
        ),
    )


NEW_PASSWORD_HELP = format_lazy(
    gettext_lazy(
        "At least {least} characters; a few unrelated words work well. Spaces and "
        "any characters are fine."
    ),
    least=policy.PASSWORD_MIN_LENGTH,
)


class LoginForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = _password(gettext_lazy("Password"), "current-password")


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=language_choices,
        help_text=gettext_lazy("Your pages and the emails we send you use it."),
    )


class TimeZoneForm(forms.Form):
    time_zone = forms.CharField(
        label=gettext_lazy("Time Zone"),
        required=False,
        help_text=gettext_lazy("Your date format follows the time zone."),
        widget=forms.TextInput(
            attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class PasswordForm(forms.Form):
    current_password = _password(gettext_lazy("Current password"), "current-password")
    new_password = _password(
        gettext_lazy("New password"), "new-password", NEW_PASSWORD_HELP
    )
    new_password_again = _password(gettext_lazy("New password again"), "new-password")

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error(
                "new_password_again", gettext("The two new passwords differ.")
            )
        return data


class PinForm(forms.Form):
    current_password = _password(gettext_lazy("Current password"), "current-password")
    new_pin = forms.CharField(
        label=gettext_lazy("New PIN"),
        required=False,
        help_text=gettext_lazy(
            "6 to 8 digits, not one digit repeated and not a run like 123456."
        ),
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "maxlength": 8}
        ),
    )
    new_pin_again = forms.CharField(
        label=gettext_lazy("New PIN again"),
        required=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "maxlength": 8}
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("new_pin") != data.get("new_pin_again"):
            self.add_error("new_pin_again", gettext("The two PINs differ."))
        return data


class SecurityQuestionForm(forms.Form):
    current_password = _password(gettext_lazy("Current password"), "current-password")
    question = forms.ChoiceField(
        label=gettext_lazy("Security question"),
        required=False,
        choices=[
            ("", gettext_lazy("Choose a question")),
            *policy.SECURITY_QUESTIONS,
            (policy.OWN_QUESTION, gettext_lazy("Write my own question")),
        ],
    )
    own_question = forms.CharField(
        label=gettext_lazy("Your own question"),
        required=False,
        help_text=gettext_lazy("Only when you chose to write your own question."),
        widget=forms.TextInput(attrs={"maxlength": policy.QUESTION_MAX_LENGTH}),
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        required=False,
        help_text=gettext_lazy("Capitals and extra spaces do not matter."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class EmailChangeForm(forms.Form):
    current_password = _password(gettext_lazy("Current password"), "current-password")
    new_email = forms.CharField(
        label=gettext_lazy("New login email address"),
        required=False,
        help_text=gettext_lazy(
            "We send a link to the new address; your login changes when you open it."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ForgotPasswordForm(forms.Form):
    email = forms.CharField(
        label=gettext_lazy("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class ResetAnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"),
        required=False,
        help_text=gettext_lazy("Capitals and extra spaces do not matter."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class NewPasswordForm(forms.Form):
    new_password = _password(
        gettext_lazy("New password"), "new-password", NEW_PASSWORD_HELP
    )
    new_password_again = _password(gettext_lazy("New password again"), "new-password")

    def clean(self):
        data = super().clean()
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error(
                "new_password_again", gettext("The two new passwords differ.")
            )
        return data
