"""What a subscriber's password, PIN and security question must be.

Password: NIST 800-63B — length (12 to 128), a common-password blocklist, not
like the subscriber's name or email, no composition rules. PIN: 6–8 ASCII digits,
not one digit repeated, not a straight run (123456, 987654, 890123).
"""

import re
import string
import unicodedata

from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    MinimumLengthValidator,
    UserAttributeSimilarityValidator,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy

from csrtool.onboarding.hashing import normalise_answer

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
PIN_PATTERN = re.compile(r"[0-9]{6,8}")
QUESTION_MIN_LENGTH = 10
QUESTION_MAX_LENGTH = 200
ANSWER_MIN_LENGTH = 3
ANSWER_MAX_LENGTH = 100
OWN_QUESTION = "own"

SECURITY_QUESTIONS = [
    ("street", gettext_lazy("What was the name of the street you grew up on?")),
    ("first-school", gettext_lazy("What was the name of your first school?")),
    ("first-pet", gettext_lazy("What was the name of your first pet?")),
    (
        "childhood-friend",
        gettext_lazy("What was the first name of your childhood best friend?"),
    ),
    ("first-car", gettext_lazy("What was the make and model of your first car?")),
    ("first-job", gettext_lazy("What was the name of the company of your first job?")),
    ("parents-met", gettext_lazy("In which city did your parents meet?")),
    (
        "favourite-teacher",
        gettext_lazy("What was the surname of your favourite teacher?"),
    ),
    ("first-concert", gettext_lazy("What was the first concert you went to?")),
    ("childhood-hero", gettext_lazy("Who was your childhood hero?")),
]
# The listed questions in the language of the moment (a subscriber's question is
# kept in the words they chose it in).
QUESTION_TEXT = dict(SECURITY_QUESTIONS)


class NotLikeTheSubscriber(UserAttributeSimilarityValidator):
    def get_error_message(self):
        return gettext("The password is too similar to your name or email address.")


PASSWORD_VALIDATORS = [
    MinimumLengthValidator(min_length=PASSWORD_MIN_LENGTH),
    CommonPasswordValidator(),
    NotLikeTheSubscriber(
        user_attributes=(
            "first_name",
            "last_name",
            "full_name",
            "email",
            "contact_email",
        )
    ),
]


def password_problems(password: str, *, subscriber=None) -> list[str]:
    """Every reason `password` is refused, in words the subscriber can act on."""
    password = str(password or "")
    if len(password) > PASSWORD_MAX_LENGTH:
        return [
            gettext("Use at most %(most)d characters (this one has %(length)d).")
            % {"most": PASSWORD_MAX_LENGTH, "length": len(password)}
        ]
    try:
        validate_password(
            password, user=subscriber, password_validators=PASSWORD_VALIDATORS
        )
    except ValidationError as e:
        return list(e.messages)
    # "password!!!!" or "2024dragon2024": a common password padded to length.
    core = password.strip(string.digits + string.punctuation + " ").lower()
    if core != password.lower() and core in _common_passwords():
        return [
            gettext("This password is a common password with a few characters added.")
        ]
    return []


def _common_passwords() -> set[str]:
    return PASSWORD_VALIDATORS[1].passwords


def pin_problems(pin: str) -> list[str]:
    pin = str(pin or "")
    if not (pin.isascii() and PIN_PATTERN.fullmatch(pin)):
        return [gettext("A PIN is 6 to 8 digits (0–9), nothing else.")]
    if len(set(pin)) == 1:
        return [gettext("A PIN cannot be one digit repeated, like 111111.")]
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        return [
            gettext("A PIN cannot be a straight run of digits, like 123456 or 987654.")
        ]
    return []


def clean_question(choice: str, own_question: str = "") -> str:
    """The question text for a listed choice, or the subscriber's own question.

    Raises ValueError with the message to show.
    """
    if choice in QUESTION_TEXT:
        return str(QUESTION_TEXT[choice])
    if choice != OWN_QUESTION:
        raise ValueError(gettext("Choose a security question."))
    text = " ".join(unicodedata.normalize("NFC", str(own_question or "")).split())
    if len(text) < QUESTION_MIN_LENGTH:
        raise ValueError(
            gettext("Write a question of at least %(least)d characters.")
            % {"least": QUESTION_MIN_LENGTH}
        )
    if len(text) > QUESTION_MAX_LENGTH:
        raise ValueError(
            gettext("Keep the question under %(most)d characters.")
            % {"most": QUESTION_MAX_LENGTH}
        )
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValueError(gettext("The question cannot contain control characters."))
    return text


def answer_problems(answer: str, *, question: str = "") -> list[str]:
    normalised = normalise_answer(answer)
    if len(normalised) < ANSWER_MIN_LENGTH:
        return [
            gettext("The answer needs at least %(least)d characters.")
            % {"least": ANSWER_MIN_LENGTH}
        ]
    if len(normalised) > ANSWER_MAX_LENGTH:
        return [
            gettext("Keep the answer under %(most)d characters.")
            % {"most": ANSWER_MAX_LENGTH}
        ]
    if question and normalised == normalise_answer(question):
        return [gettext("The answer cannot be the question itself.")]
    return []
