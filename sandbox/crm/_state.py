"""What the CRM fakes hold: every request received (with its headers), what each fake
stored, and the faults configured per fake (``POST /_sandbox/crm/faults``)."""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox._errors import bad_request
from sandbox.crm._wire import path

FAKES = ("webhook", "bitrix24", "amocrm", "hubspot")
KINDS = ("500", "400", "timeout", "drop_reply")
LOG_SIZE = 20000


@dataclass(frozen=True)
class FakeFaults:
    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    seed: int | None = None

    def public(self) -> dict[str, Any]:
        return {"rate": self.rate, "kinds": list(self.kinds), "seed": self.seed}


@dataclass
class CrmState:
    received: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAKES, 0))
    faults: dict[str, FakeFaults] = field(default_factory=dict)
    rngs: dict[str, random.Random] = field(default_factory=dict)
    webhook: dict[str, dict[str, Any]] = field(default_factory=dict)  # Idempotency-Key → body
    bitrix24: list[dict[str, Any]] = field(default_factory=list)  # leads, ID from 1
    amocrm: list[dict[str, Any]] = field(default_factory=list)  # deals with their contact
    hubspot_contacts: list[dict[str, Any]] = field(default_factory=list)
    hubspot_notes: list[dict[str, Any]] = field(default_factory=list)

    def record(self, fake: str, scope: dict[str, Any], body: bytes, fault: str | None) -> None:
        self.counts[fake] += 1
        query = scope.get("query_string", b"").decode("latin-1")
        self.received.append(
            {
                "fake": fake,
                "method": scope["method"],
                "path": path(scope) + (f"?{query}" if query else ""),
                "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
                "body": body.decode("utf-8", errors="replace"),
                "fault": fault,
                "at": time.time(),
            }
        )

    def pick(self, fake: str) -> str | None:
        """The fault for this request to ``fake``, if any (one draw per request)."""
        faults = self.faults.get(fake)
        if faults is None or faults.rate <= 0 or not faults.kinds:
            return None
        rng = self.rngs.setdefault(fake, random.Random(faults.seed))
        if rng.random() >= faults.rate:
            return None
        return rng.choice(faults.kinds)

    def configure(self, body: dict[str, Any]) -> None:
        """``{"<fake>": {"rate", "kinds", "seed"}, ...}``: replaces every fake's faults."""
        parsed: dict[str, FakeFaults] = {}
        for fake, spec in body.items():
            if fake not in FAKES:
                raise bad_request(f"Unknown CRM fake '{fake}'; use one of {', '.join(FAKES)}.")
            if not isinstance(spec, dict) or set(spec) - {"rate", "kinds", "seed"}:
                raise bad_request(f'\'{fake}\' takes {{"rate", "kinds", "seed"}}.', param=fake)
            rate, kinds, seed = spec.get("rate", 0.0), spec.get("kinds", []), spec.get("seed")
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise bad_request(f"'{fake}.rate' must be a number in [0, 1].", param=fake)
            if not isinstance(kinds, list) or any(k not in KINDS for k in kinds):
                raise bad_request(f"'{fake}.kinds' must be a list of {', '.join(KINDS)}.")
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise bad_request(f"'{fake}.seed' must be an integer.", param=fake)
            parsed[fake] = FakeFaults(float(rate), tuple(kinds), seed)
        self.faults = parsed
        self.rngs = {fake: random.Random(f.seed) for fake, f in parsed.items()}

    def reset(self) -> None:
        fresh = CrmState()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def stored(self) -> dict[str, Any]:
        return {
            "webhook": {"leads": list(self.webhook.values())},
            "bitrix24": {"leads": list(self.bitrix24)},
            "amocrm": {"leads": list(self.amocrm)},
            "hubspot": {"contacts": list(self.hubspot_contacts), "notes": list(self.hubspot_notes)},
        }


def crm_of(scope: dict[str, Any]) -> CrmState:
    state: CrmState = scope["app"].state.crm
    return state
