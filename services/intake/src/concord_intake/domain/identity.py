"""Case ids, receipt numbers, verification codes and party pseudonyms."""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

_RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
_CASE_NAMESPACE = uuid.UUID("6f1c7a52-61a8-4d43-9a55-3c0d1b7d2e10")


def new_case_id() -> str:
    return str(uuid.uuid4())


def case_id_for(scope: str, key: str) -> str:
    """A stable case id for an idempotency key or a source system's reference: the second
    submission with the same key collides with the first on the store's _id."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{scope}\x00{key}"))


def receipt_number(prefix: str, now: datetime) -> str:
    suffix = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(6))
    return f"{prefix}{now:%Y%m%d}{suffix}"


def verification_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def party_ref(key: str, *, phone: str | None, id_number: str | None, fallback: str) -> str:
    """A keyed hash of the strongest identifier: the same person gets the same reference
    (repeats can be seen), and the reference reveals nothing without the key."""
    basis = f"id:{id_number}" if id_number else f"phone:{phone}" if phone else f"anon:{fallback}"
    digest = hmac.new(key.encode(), basis.encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:24]}"


def case_party_ref(key: str, case_id: str, index: int) -> str:
    """A reference that names a party within one case only (the same on a retry of the
    case, different in every other case): for people a report names but who did not file it."""
    digest = hmac.new(key.encode(), f"case:{case_id}:{index}".encode(), hashlib.sha256)
    return f"p-{digest.hexdigest()[:24]}"
