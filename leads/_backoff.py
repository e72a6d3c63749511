"""When to try a sink again: exponential backoff with jitter, for up to a day.

The n-th retry waits ``min(CAP, FIRST * 2**(n-1))``, scaled by a random factor in
[0.5, 1] so that many leads failing together do not come back together. A sink that
asked for a wait (``Retry-After``) gets at least that. Past the deadline (``GIVE_UP``
after the lead was queued) the sink's row is ``dead``.
"""

from __future__ import annotations

import random

FIRST = 5.0  # seconds before the first retry
CAP = 15 * 60.0  # the longest single wait: a sink back after an outage is tried within it
GIVE_UP = 24 * 3600.0


def retry_delay(
    attempt: int, *, after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed ``attempt`` (1-based)."""
    base = min(CAP, FIRST * 2.0 ** max(0, attempt - 1))
    delay: float = base * (0.5 + 0.5 * (rng or _RNG).random())
    if after is not None:
        delay = max(delay, min(after, CAP))
    return delay


_RNG = random.Random()
