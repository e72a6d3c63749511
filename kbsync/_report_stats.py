"""The two-proportion z-test between a variant and ``main``, said honestly.

Pooled, two-sided: ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with ``p`` the pooled
share, ``p-value = erfc(|z| / sqrt 2)``. The normal approximation needs enough data on
both sides, so no p-value is given below ``MIN_CHATS`` chats a side, or when a side has
fewer than ``MIN_EXPECTED`` expected successes or failures (the usual rule of thumb for
the approximation); the report then says "not enough data yet".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_CHATS = 100
MIN_EXPECTED = 5
TEST_NAME = "two-proportion z-test (pooled, two-sided)"
METRICS = ("up", "answered", "leads")  # 👍 share of rated answers; answered share; chats→lead


@dataclass(frozen=True)
class Comparison:
    variant: str
    metric: str  # one of METRICS
    variant_rate: float | None  # successes / trials, None without trials
    main_rate: float | None
    variant_trials: int
    main_trials: int
    variant_chats: int
    main_chats: int
    p_value: float | None  # None: not enough data

    def as_dict(self) -> dict[str, object]:
        return {
            "variant": self.variant,
            "metric": self.metric,
            "p_value": None if self.p_value is None else round(self.p_value, 6),
            "variant_rate": _rounded(self.variant_rate),
            "main_rate": _rounded(self.main_rate),
            "variant_n": self.variant_trials,
            "main_n": self.main_trials,
            "variant_chats": self.variant_chats,
            "main_chats": self.main_chats,
            "test": TEST_NAME,
        }


def compare(
    variant: str,
    metric: str,
    successes: tuple[int, int],
    trials: tuple[int, int],
    chats: tuple[int, int],
) -> Comparison:
    """``successes``, ``trials`` and ``chats`` as ``(variant, main)``."""
    (s1, s2), (n1, n2) = successes, trials
    rate1 = s1 / n1 if n1 else None
    rate2 = s2 / n2 if n2 else None
    p_value = None
    if min(chats) >= MIN_CHATS and n1 and n2:
        pooled = (s1 + s2) / (n1 + n2)
        enough = min(n1, n2) * min(pooled, 1 - pooled) >= MIN_EXPECTED
        if enough:
            p_value = z_test(s1, n1, s2, n2)
    return Comparison(variant, metric, rate1, rate2, n1, n2, chats[0], chats[1], p_value)


def z_test(s1: int, n1: int, s2: int, n2: int) -> float:
    """The two-sided p-value of the pooled two-proportion z-test."""
    pooled = (s1 + s2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0  # both sides all successes (or none): no difference to find
    z = (s1 / n1 - s2 / n2) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
