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
    ("street", "What was the name of the street you grew up on?"),
    ("first-school", "What was the name of your first school?"),
    ("first-pet", "What was the name of your first pet?"),
    ("childhood-friend", "What was the first name of your childhood best friend?"),
    ("first-car", "What was the make and model of your first car?"),
    ("first-job", "What was the name of the company of your first job?"),
    ("parents-met", "In which city did your parents meet?"),
    ("favourite-teacher", "What was the surname of your favourite teacher?"),
    ("first-concert", "What was the first concert you went to?"),
    ("childhood-hero", "Who was your childhood hero?"),
]
QUESTION_TEXT = dict(SECURITY_QUESTIONS)


class NotLikeTheSubscriber(UserAttributeSimilarityValidator):
    def get_error_message(self):
        return "The password is too similar to your name or email address."


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
            f"Use at most {PASSWORD_MAX_LENGTH} characters "
            f"(this one has {len(password)})."
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
        return ["This password is a common password with a few characters added."]
    return []


def _common_passwords() -> set[str]:
    return PASSWORD_VALIDATORS[1].passwords


def pin_problems(pin: str) -> list[str]:
    pin = str(pin or "")
    if not (pin.isascii() and PIN_PATTERN.fullmatch(pin)):
        return ["A PIN is 6 to 8 digits (0–9), nothing else."]
    if len(set(pin)) == 1:
        return ["A PIN cannot be one digit repeated, like 111111."]
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {9}):
        return ["A PIN cannot be a straight run of digits, like 123456 or 987654."]
    return []


def clean_question(choice: str, own_question: str = "") -> str:
    """The question text for a listed choice, or the subscriber's own question.

    Raises ValueError with the message to show.
    """
    if choice in QUESTION_TEXT:
        return QUESTION_TEXT[choice]
    if choice != OWN_QUESTION:
        raise ValueError("Choose a security question.")
    text = " ".join(unicodedata.normalize("NFC", str(own_question or "")).split())
    if len(text) < QUESTION_MIN_LENGTH:
        raise ValueError(
            f"Write a question of at least {QUESTION_MIN_LENGTH} characters."
        )
    if len(text) > QUESTION_MAX_LENGTH:
        raise ValueError(f"Keep the question under {QUESTION_MAX_LENGTH} characters.")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValueError("The question cannot contain control characters.")
    return text


def answer_problems(answer: str, *, question: str = "") -> list[str]:
    normalised = normalise_answer(answer)
    if len(normalised) < ANSWER_MIN_LENGTH:
        return [f"The answer needs at least {ANSWER_MIN_LENGTH} characters."]
    if len(normalised) > ANSWER_MAX_LENGTH:
        return [f"Keep the answer under {ANSWER_MAX_LENGTH} characters."]
    if question and normalised == normalise_answer(question):
        return ["The answer cannot be the question itself."]
    return []
