"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The secret is "whsec_" + base64 of 32 random bytes; a message is signed as
base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), sent as "v1,<signature>",
several space-separated while a rotated-out secret still signs.
"""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, msg_id, timestamp, body) for secret in secrets_
        ),
    }
