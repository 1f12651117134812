"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret.

A receiver recomputes the HMAC over the timestamp header, a dot and the raw body bytes, and
compares in constant time; it refuses timestamps older than a few minutes (replays).
"""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Concord-Timestamp"
SIGNATURE_HEADER = "X-Concord-Signature"
EVENT_ID_HEADER = "X-Concord-Event-Id"
EVENT_TYPE_HEADER = "X-Concord-Event-Type"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, timestamp: int, body: bytes, event_id: str, event_type: str
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
    }
