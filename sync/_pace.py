"""Pacing per route after a rate limit that names no wait.

The API limits some routes on their own (uploads per key, attaches per store) and
answers over the limit with a bare ``429``: no ``retry-after``, no ``x-ratelimit-*``
header to say when the window frees up. Every thread of a run then backs off together:
the first 429 on a route opens a pause that all later requests on that route wait out
before they are sent, and each further 429 doubles it (up to ``cap``, the length of the
limit's window); a request that gets through halves it again. So a run that outgrows a
limit slows to what the route accepts instead of spending its retries in a burst, and
the requests of other routes are not held up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pace:
    """Shared pauses, one per route (``"POST /v1/files"``, ...); thread-safe."""

    def __init__(
        self,
        *,
        first: float = 1.0,
        cap: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first = first
        self._cap = cap
        self._clock = clock
        self._lock = threading.Lock()
        self._pause: dict[str, float] = {}  # route -> the pause a next 429 starts from
        self._until: dict[str, float] = {}  # route -> no request before this time
        self.limited_count = 0  # bare 429s seen, for reports and tests

    def wait(self, route: str, sleep: Callable[[float], None]) -> float:
        """Sleep until the route's pause is over; returns how long that was."""
        with self._lock:
            delay = self._until.get(route, 0.0) - self._clock()
        if delay > 0:
            sleep(delay)
            return delay
        return 0.0

    def limited(self, route: str) -> None:
        """A bare 429 on ``route``: open (or lengthen) its pause."""
        with self._lock:
            self.limited_count += 1
            now = self._clock()
            if self._until.get(route, 0.0) > now:
                return  # a pause is running: the threads that hit it together count once
            pause = self._pause.get(route, self._first / 2) * 2
            pause = min(pause, self._cap)
            self._pause[route] = pause
            self._until[route] = now + pause

    def passed(self, route: str) -> None:
        """A request on ``route`` got through: the next pause starts shorter."""
        with self._lock:
            pause = self._pause.get(route)
            if pause is not None:
                shorter = pause / 2
                if shorter < self._first:
                    del self._pause[route]
                else:
                    self._pause[route] = shorter
