"""Exponential backoff with full jitter (a random delay up to base * 2^(n-1), capped), so
endpoints that fail together are not retried together."""

import random
from collections.abc import Callable


def backoff_delay(
    attempt: int,
    base_s: float,
    cap_s: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before the attempt after `attempt` (1-based)."""
    ceiling = min(cap_s, base_s * 2 ** (attempt - 1))
    return float(ceiling * rand())
