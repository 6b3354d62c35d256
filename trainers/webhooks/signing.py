"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256>` of
`<webhook-id>.<webhook-timestamp>.<body>`, keyed by the base64 part of a
`whsec_` secret (https://www.standardwebhooks.com)."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh random `whsec_` secret (24 bytes, as the spec suggests)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """One `v1,...` signature of the message with this secret."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secrets_now: list[str], message_id: str, timestamp: int, body: str
) -> dict[str, str]:
    """The headers of one attempt: signed with every secret given (during a
    rotation, the new and the old), space-separated."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret, message_id, timestamp, body) for secret in secrets_now
        ),
        "content-type": "application/json",
    }
