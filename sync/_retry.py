"""When and how long to wait before repeating a request that failed transiently.

Pure arithmetic, kept apart from the API seam so that it can be tested without a
server: which failures are worth repeating is decided in ``sync/_remote.py``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, overridden by the server's hint.

    ``attempts`` counts the first try: ``attempts=8`` repeats a request at most 7 times.
    """

    attempts: int = 8
    base: float = 0.25  # seconds before the first repeat (before jitter)
    cap: float = 8.0  # longest backoff we choose ourselves
    max_server_wait: float = 60.0  # longest ``retry-after`` we honour
    # how long one request may wait out a route's bare 429s (``_pace``): a few windows
    # of the API's per-minute limits
    rate_limit_patience: float = 300.0

    def delay(
        self,
        attempt: int,
        headers: Mapping[str, str] | None = None,
        *,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        hinted = server_hint(headers) if headers is not None else None
        if hinted is not None:
            return min(hinted, self.max_server_wait)
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


def server_hint(headers: Mapping[str, str]) -> float | None:
    """The wait asked for by ``retry-after-ms`` or ``retry-after`` (seconds or HTTP date)."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
