"""Faults: what ``POST /_sandbox/faults`` configures, and what one request was dealt.

``Fault`` names each way a single request can misbehave (its value is the name used
on the wire in ``kinds``). ``Faults`` is the whole configuration: the random faults and
their rate, plus the settings that shape every request (latency, token delay, eventual
consistency, quota, the per-file token limit, the routes random faults fall on, the
per-route limits, stores made idle for their expiry). The gate (``_middleware.py``) picks a
fault per ``/v1`` request and leaves both on the request; handlers read them through
``faults_of(request)``, the one typed accessor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from litestar import Request

from sandbox._errors import bad_request


class Fault(StrEnum):
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    OVERLOADED = "503"
    RESET = "reset"  # the connection is cut right after the status line
    TIMEOUT = "timeout"  # no answer until the client gives up
    STUCK = "stuck"  # an attach never leaves in_progress
    DROP = "drop"  # a response stream is cut in the middle
    STREAM_ERROR = "stream_error"  # a response stream ends with an error event
    DROP_REPLY = "drop_reply"  # carried out, then the connection is cut before the reply
    REFUSAL = "refusal"  # a response: the model declines (refusal content, refusal events)
    COMMENTARY = "commentary"  # a response: a commentary-phase preamble before the answer

    def outside_streams(self) -> Fault:
        """What a stream-only fault becomes on a route that does not stream."""
        if self is Fault.DROP:
            return Fault.RESET
        if self is Fault.STREAM_ERROR:
            return Fault.SERVER_ERROR
        return self

    @property
    def shapes_answer(self) -> bool:
        """A fault that changes what the model says, streamed or not (other routes: none)."""
        return self in (Fault.REFUSAL, Fault.COMMENTARY)


KINDS: tuple[str, ...] = tuple(fault.value for fault in Fault)
DEFAULT_MAX_FILE_TOKENS = 2_000_000

# setting -> default, for the non-negative integer settings
_INTEGERS: dict[str, int] = {
    "latency_ms": 0,
    "token_delay_ms": 0,
    "retry_after_ms": 1000,
    "consistency_ms": 0,
    "max_file_tokens": DEFAULT_MAX_FILE_TOKENS,
    "idle_stores_s": 0,
}
_KEYS = {"rate", "kinds", "seed", "quota", "routes", "route_limits", *_INTEGERS}


@dataclass(frozen=True)
class RouteLimits:
    """The API's own limits on two routes, over a sliding window: uploads per key and
    file attaches (a request of either attach route) per store. ``true`` means the live
    figures; an object may scale them down for a test."""

    uploads: int = 1000
    attaches: int = 300
    window_ms: int = 60_000

    def public(self) -> dict[str, int]:
        return {"uploads": self.uploads, "attaches": self.attaches, "window_ms": self.window_ms}


@dataclass(frozen=True)
class Faults:
    rate: float = 0.0
    kinds: tuple[Fault, ...] = ()
    seed: int | None = None
    latency_ms: int = 0
    token_delay_ms: int = 0
    # how long a 429 asks the client to wait (``retry-after`` is this, rounded up to seconds)
    retry_after_ms: int = 1000
    # a File younger than this is "not found" to attach, batch and retrieve
    consistency_ms: int = 0
    # every /v1 call is 429 insufficient_quota
    quota: bool = False
    # processing fails (invalid_file) for a document with more tokens than this
    max_file_tokens: int = DEFAULT_MAX_FILE_TOKENS
    # where random faults fall: route templates as in stats ("POST /v1/files"); () = all
    routes: tuple[str, ...] = ()
    # the per-route limits (None: off)
    route_limits: RouteLimits | None = None
    # applied once, when posted: every existing vector store's last activity moves this
    # far into the past (a store idle for days, at once, for its expiry)
    idle_stores_s: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": [kind.value for kind in self.kinds],
            "seed": self.seed,
            "latency_ms": self.latency_ms,
            "token_delay_ms": self.token_delay_ms,
            "retry_after_ms": self.retry_after_ms,
            "consistency_ms": self.consistency_ms,
            "quota": self.quota,
            "max_file_tokens": self.max_file_tokens,
            "routes": list(self.routes),
            "route_limits": self.route_limits.public() if self.route_limits else False,
            "idle_stores_s": self.idle_stores_s,
        }


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key, _INTEGERS[key])
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request(f"'{key}' must be a non-negative integer, not {value!r}.", param=key)
    return value


def parse_faults(body: dict[str, Any]) -> Faults:
    """The settings of a ``POST /_sandbox/faults`` body; 400 naming the first bad one."""
    unknown = sorted(set(body) - _KEYS)
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
    quota = body.get("quota", False)
    if not isinstance(quota, bool):
        raise bad_request(f"'quota' must be true or false, not {quota!r}.", param="quota")
    routes = body.get("routes", [])
    if not isinstance(routes, list) or not all(
        isinstance(r, str) and _ROUTE.match(r) for r in routes
    ):
        raise bad_request(
            "'routes' must be a list of route templates such as \"POST /v1/files\".",
            param="routes",
        )
    return Faults(
        rate=float(rate),
        kinds=tuple(Fault(kind) for kind in kinds),
        seed=seed,
        quota=quota,
        routes=tuple(routes),
        route_limits=_route_limits(body.get("route_limits", False)),
        **{key: _int(body, key) for key in _INTEGERS},
    )


_ROUTE = re.compile(r"^(GET|POST|DELETE) /v1/\S*$")


def _route_limits(value: Any) -> RouteLimits | None:
    if value is False or value is None:
        return None
    if value is True:
        return RouteLimits()
    fields = ("uploads", "attaches", "window_ms")
    if isinstance(value, dict) and set(value) <= set(fields):
        numbers = {key: value.get(key, getattr(RouteLimits, key)) for key in fields}
        if all(type(n) is int and n > 0 for n in numbers.values()):
            return RouteLimits(**numbers)
    raise bad_request(
        "'route_limits' must be true, false or {uploads, attaches, window_ms} (positive integers).",
        param="route_limits",
    )


@dataclass(frozen=True)
class RequestFaults:
    """What the gate dealt one request: the fault it picked (``None``: behave), and the
    configuration in force when the request came in."""

    picked: Fault | None = None
    config: Faults = Faults()


_STATE_KEY = "sandbox_faults"


def deal(scope_state: dict[str, Any], dealt: RequestFaults) -> None:
    """Leave ``dealt`` on the request (called by the gate)."""
    scope_state[_STATE_KEY] = dealt


def faults_of(request: Request[Any, Any, Any]) -> RequestFaults:
    """The faults dealt to this request (nothing, off ``/v1`` or before the gate)."""
    dealt = request.scope.get("state", {}).get(_STATE_KEY)
    return dealt if isinstance(dealt, RequestFaults) else RequestFaults()
