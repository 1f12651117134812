"""How strong a webhook's signing secret must be, and a strong one when none is given.

The secret is all that lets a receiver tell Concord's notices from forged ones, and one
signed request is enough to try guesses offline at full speed. So a secret a department
chooses must be long (32 bytes, as long as the SHA-256 key it feeds) and must not be guessable
by its patterns: zxcvbn, the password-strength estimator, finds repeats, sequences, keyboard
walks, dates and dictionary words, and its estimate must reach 10^24 guesses (about 80 bits).
Random secrets of 32 hex digits or more pass by far; `aaaa…`, `abcabc…` or
`passwordpassword…` do not.
"""

import secrets

from zxcvbn import zxcvbn

MIN_SECRET_BYTES = 32
MIN_GUESSES_LOG10 = 24.0
# zxcvbn refuses longer input (its matching is quadratic); the first 72 characters of a
# strong secret are strong on their own, and of a weak one weak.
_ESTIMATED_CHARACTERS = 72


def new_secret() -> str:
    """A secret of 32 random bytes (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def weakness_of_secret(secret: str, context: list[str] | None = None) -> str | None:
    """Why `secret` is too weak to sign webhooks with, or None. `context` holds words a
    guesser would try first (the department's code, the endpoint's host)."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"must be at least {MIN_SECRET_BYTES} bytes long; omit it to have one made"
    estimate = zxcvbn(secret[:_ESTIMATED_CHARACTERS], user_inputs=context or [])
    if estimate["guesses_log10"] < MIN_GUESSES_LOG10:
        found = sorted({str(m["pattern"]) for m in estimate["sequence"]} - {"bruteforce"})
        patterns = f" ({', '.join(found)})" if found else ""
        return f"is too easy to guess{patterns}; use a random one, or omit it to have one made"
    return None
