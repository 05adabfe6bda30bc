"""Webhook secrets and signatures.

Two signatures go with every delivery:
- `X-Vectis-Signature`: hex HMAC-SHA256 of the raw body keyed with the whole secret string
  (`whsec_…`), which is what the API reference's `verifyWebhook` checks;
- `webhook-signature`: Standard Webhooks, `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
  keyed with the base64-decoded part of the secret after `whsec_`.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def vectis_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(
    *, secret: str, event_id: str, event_type: str, delivery_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Vectis-Webhooks/1.0",
        "X-Vectis-Signature": vectis_signature(secret, body),
        "X-Vectis-Event": event_type,
        "X-Vectis-Delivery": delivery_id,
        "X-Vectis-Timestamp": str(timestamp),
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, event_id, timestamp, body),
    }


# Standard Webhooks receivers refuse a timestamp further than this from their clock.
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60


def verify_vectis(secret: str, body: bytes, signature: str) -> bool:
    """`X-Vectis-Signature` matches the body (constant-time)."""
    return hmac.compare_digest(vectis_signature(secret, body), signature.strip().lower())


def verify_standard(
    secret: str,
    msg_id: str,
    timestamp: str,
    body: bytes,
    signatures: str,
    *,
    now: float,
    tolerance: int = TIMESTAMP_TOLERANCE_SECONDS,
) -> str | None:
    """Check Standard Webhooks headers: None when valid, else why not. `signatures` is the
    `webhook-signature` header, one or more space-separated `v1,<base64>` (a receiver accepts
    any of them: several are sent while a secret is rotated)."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not a number"
    if abs(now - sent_at) > tolerance:
        return f"webhook-timestamp is more than {tolerance} s from this clock"
    try:
        expected = standard_signature(secret, msg_id, sent_at, body)
    except (ValueError, TypeError):
        return "the secret is not whsec_ followed by base64"
    for candidate in signatures.split():
        if hmac.compare_digest(expected, candidate):
            return None
    return "webhook-signature does not match"
