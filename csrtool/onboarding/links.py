"""Tokens of the links emailed to subscribers.

The raw token never reaches the database. An email waiting in the outbox keeps a
random seed; the token is an HMAC of that seed under the secret key, so the worker
can rebuild the link when it sends the email, and the seed is erased afterwards.
The link row keeps only SHA-256(token).
"""

import base64
import hashlib
import secrets

from django.utils.crypto import salted_hmac

SALT = "csrtool.onboarding.links"


def new_seed() -> str:
    return secrets.token_urlsafe(32)


def token_from_seed(seed: str) -> str:
    """256 bits, URL-safe, 43 characters."""
    digest = salted_hmac(SALT, seed, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(str(token).encode()).hexdigest()
