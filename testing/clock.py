"""A clock a test moves by hand, for code that takes ``clock=`` (the limiter, the signer)."""

from __future__ import annotations


class FakeClock:
    """Returns ``now`` (seconds since the epoch) until a test changes it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
