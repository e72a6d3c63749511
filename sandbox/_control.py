"""The control surface ``/_sandbox/*``: request counters and log, faults, reset.

Faults are drawn from one ``random.Random(seed)`` per configuration, one draw per
``/v1`` request, so a given seed and request sequence always misbehave the same way.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from litestar import Response, get, post

from sandbox._errors import bad_request
from sandbox._http import AnyRequest, json_body, ok
from sandbox._state import store_of

KINDS = ("429", "500", "503", "reset", "timeout", "stuck", "drop", "stream_error")
LOG_SIZE = 1000
_FAULT_KEYS = {"rate", "kinds", "seed", "latency_ms", "token_delay_ms", "retry_after_ms"}


@dataclass(frozen=True)
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    seed: int | None = None
    latency_ms: int = 0
    token_delay_ms: int = 0
    # how long a 429 asks the client to wait (``retry-after`` is this, rounded up to seconds)
    retry_after_ms: int = 1000

    def public(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "seed": self.seed,
            "latency_ms": self.latency_ms,
            "token_delay_ms": self.token_delay_ms,
            "retry_after_ms": self.retry_after_ms,
        }


@dataclass
class Control:
    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)

    def configure(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)

    def pick(self) -> str | None:
        """The fault for the next ``/v1`` request, if any."""
        faults = self.faults
        if faults.rate <= 0 or not faults.kinds:
            return None
        if self.rng.random() >= faults.rate:
            return None
        return self.rng.choice(faults.kinds)

    def reset(self) -> None:
        self.total = 0
        self.counts.clear()
        self.log.clear()
        self.configure(Faults())


def control_of(request: AnyRequest) -> Control:
    control: Control = request.app.state.control
    return control


def _int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(f"'{key}' must be a non-negative integer, not {value!r}.", param=key)
    return value


def parse_faults(body: dict[str, Any]) -> Faults:
    unknown = sorted(set(body) - _FAULT_KEYS)
    if unknown:
        raise bad_request(f"Unknown fault setting '{unknown[0]}'.", param=unknown[0])
    rate = body.get("rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise bad_request(f"'rate' must be a number in [0, 1], not {rate!r}.", param="rate")
    kinds = body.get("kinds", [])
    if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
        raise bad_request(f"'kinds' must be a list of {', '.join(KINDS)}.", param="kinds")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise bad_request(f"'seed' must be an integer, not {seed!r}.", param="seed")
    return Faults(
        rate=float(rate),
        kinds=tuple(kinds),
        seed=seed,
        latency_ms=_int(body, "latency_ms", 0),
        token_delay_ms=_int(body, "token_delay_ms", 0),
        retry_after_ms=_int(body, "retry_after_ms", 1000),
    )


@get("/_sandbox/stats")
async def stats(request: AnyRequest) -> Response[Any]:
    control = control_of(request)
    return ok(
        {
            "total": control.total,
            "requests": dict(control.counts),
            "streams": dict(store_of(request).streams),
        }
    )


@get("/_sandbox/requests")
async def requests(request: AnyRequest) -> Response[Any]:
    log = control_of(request).log
    raw = request.query_params.get("limit")
    try:
        limit = len(log) if raw is None else max(0, int(raw))
    except ValueError:
        raise bad_request("'limit' must be an integer.", param="limit") from None
    entries = list(log)[-limit:] if limit else []
    return ok({"requests": entries})


@get("/_sandbox/faults")
async def get_faults(request: AnyRequest) -> Response[Any]:
    return ok(control_of(request).faults.public())


@post("/_sandbox/faults")
async def set_faults(request: AnyRequest) -> Response[Any]:
    faults = parse_faults(await json_body(request))
    control_of(request).configure(faults)
    return ok(faults.public())


@post("/_sandbox/reset")
async def reset(request: AnyRequest) -> Response[Any]:
    store_of(request).reset()
    control_of(request).reset()
    return ok({"ok": True})


ROUTES: list[Any] = [stats, requests, get_faults, set_faults, reset]
