"""Argon2 hashing of subscriber secrets: password, PIN and security answer.

Subscriber secrets never go through Django's PASSWORD_HASHERS (those are for staff);
they use argon2-cffi directly with settings.ARGON2_PARAMETERS.
"""

import functools
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(**getattr(settings, "ARGON2_PARAMETERS", {}))


@receiver(setting_changed)
def _forget_hasher(*, setting, **kwargs):
    if setting == "ARGON2_PARAMETERS":
        _hasher.cache_clear()


def hash_secret(value: str) -> str:
    return _hasher().hash(value)


def verify_secret(stored_hash: str, value: str) -> bool:
    """True when `value` matches; False for a mismatch or an unusable hash."""
    if not stored_hash:
        return False
    try:
        return _hasher().verify(stored_hash, value)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def normalise_answer(answer: str) -> str:
    """The form a security answer is hashed and compared in.

    NFKC folds compatibility forms (full-width letters, ligatures), casefold ignores
    case in every script, and runs of whitespace count as one space.
    """
    value = unicodedata.normalize("NFKC", str(answer or ""))
    return " ".join(value.casefold().split())


def hash_password(password: str) -> str:
    return hash_secret(password)


def check_password(stored_hash: str, password: str) -> bool:
    return verify_secret(stored_hash, password)


def hash_pin(pin: str) -> str:
    return hash_secret(pin)


def check_pin(stored_hash: str, pin: str) -> bool:
    return verify_secret(stored_hash, str(pin or "").strip())


def hash_answer(answer: str) -> str:
    return hash_secret(normalise_answer(answer))


def check_answer(stored_hash: str, answer: str) -> bool:
    return verify_secret(stored_hash, normalise_answer(answer))
