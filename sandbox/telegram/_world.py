"""Everything the Bot API fake holds, in one object on ``app.state`` (``world_of``)."""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from sandbox._errors import bad_request as control_error
from sandbox._faults import Fault, Faults, parse_faults
from sandbox.telegram._chats import Chats
from sandbox.telegram._errors import BotApiError, too_many_requests
from sandbox.telegram._rates import Rates
from sandbox.telegram._updates import Updates

LOG_SIZE = 1000
CALLBACK_TTL_S = 15 * 60
_STATE_KEY = "telegram"


@dataclass(frozen=True)
class TelegramFaults:
    """The shared fault settings (``rate``, ``kinds``, ``seed``, ``latency_ms``,
    ``retry_after_ms``) plus ``methods``: the Bot API methods they fall on (all when
    absent)."""

    config: Faults = field(default_factory=Faults)
    methods: frozenset[str] = frozenset()

    def public(self) -> dict[str, Any]:
        return {**self.config.public(), "methods": sorted(self.methods)}


def parse_telegram_faults(body: dict[str, Any]) -> TelegramFaults:
    body = dict(body)
    methods = body.pop("methods", [])
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise control_error("'methods' must be a list of Bot API method names.", param="methods")
    return TelegramFaults(parse_faults(body), frozenset(m.lower() for m in methods))


@dataclass
class World:
    chats: Chats = field(default_factory=Chats)
    updates: Updates = field(default_factory=Updates)
    rates: Rates = field(default_factory=Rates)
    faults: TelegramFaults = field(default_factory=TelegramFaults)
    rng: random.Random = field(default_factory=random.Random)
    counts: Counter[str] = field(default_factory=Counter)
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    # callback query id -> (time it was pressed, answered)
    callbacks: dict[str, tuple[float, bool]] = field(default_factory=dict)
    # (chat id, draft id) -> the draft's text now
    drafts: dict[tuple[int, int], str] = field(default_factory=dict)

    def reset(self) -> None:
        self.chats.reset()
        self.updates.reset()
        self.rates = Rates()
        self.configure(TelegramFaults())
        self.counts.clear()
        self.log.clear()
        self.callbacks.clear()
        self.drafts.clear()

    def configure(self, faults: TelegramFaults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.config.seed)

    def pick(self, method: str) -> Fault | None:
        faults = self.faults
        if faults.methods and method.lower() not in faults.methods:
            return None
        if faults.config.rate <= 0 or not faults.config.kinds:
            return None
        if self.rng.random() >= faults.config.rate:
            return None
        return self.rng.choice(faults.config.kinds)

    def refusal(self, fault: Fault) -> BotApiError:
        if fault is Fault.RATE_LIMIT:
            return too_many_requests(max(1, math.ceil(self.faults.config.retry_after_ms / 1000)))
        if fault is Fault.OVERLOADED:
            return BotApiError(502, "Bad Gateway")
        return BotApiError(500, "Internal Server Error")

    def record(self, kind: str, chat_id: int) -> None:
        self.rates.record(kind, chat_id, time.monotonic())

    def new_callback(self) -> str:
        query_id = str(self.rng.getrandbits(62))
        self.callbacks[query_id] = (time.monotonic(), False)
        return query_id


def world_of(request: Request[Any, Any, Any]) -> World:
    world: World = request.app.state[_STATE_KEY]
    return world


STATE_KEY = _STATE_KEY
