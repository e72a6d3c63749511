"""The control surface ``/_sandbox/*``: request counters and log, faults, the model
table, reset.

Faults are drawn from one ``random.Random(seed)`` per configuration, one draw per
``/v1`` request, so a given seed and request sequence always misbehave the same way.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from litestar import Response, get, post

from sandbox._errors import bad_request
from sandbox._faults import Fault, Faults, parse_faults
from sandbox._http import AnyRequest, json_body, ok
from sandbox._model_table import ModelTable, default_table, parse_table
from sandbox._state import store_of

LOG_SIZE = 1000
UPLOAD_ROUTE = "POST /v1/files"
ATTACH_ROUTES = (
    "POST /v1/vector_stores/{vector_store_id}/files",
    "POST /v1/vector_stores/{vector_store_id}/file_batches",
)


@dataclass
class Control:
    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=LOG_SIZE))
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    models: ModelTable = field(default_factory=default_table)
    # "uploads:<key>" / "attaches:<store id>" -> when each request in the window came
    windows: defaultdict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def configure(self, faults: Faults) -> None:
        if faults.route_limits != self.faults.route_limits:
            self.windows.clear()
        self.faults = faults
        self.rng = random.Random(faults.seed)

    def pick(self, route: str) -> Fault | None:
        """The fault for the next ``/v1`` request (on ``route``, a template), if any."""
        faults = self.faults
        if faults.rate <= 0 or not faults.kinds:
            return None
        if faults.routes and route not in faults.routes:
            return None
        if self.rng.random() >= faults.rate:
            return None
        return self.rng.choice(faults.kinds)

    def over_limit(self, route: str, key: str, store_id: str | None) -> str | None:
        """With ``route_limits`` on: counts this request against its route's limit; the
        limit's name when it is over (the request is then refused, not counted)."""
        limits = self.faults.route_limits
        if limits is None:
            return None
        if route == UPLOAD_ROUTE:
            window, limit, what = self.windows[f"uploads:{key}"], limits.uploads, "uploads"
        elif route in ATTACH_ROUTES and store_id is not None:
            window, limit = self.windows[f"attaches:{store_id}"], limits.attaches
            what = f"file attaches to vector store {store_id}"
        else:
            return None
        now = time.monotonic()
        while window and now - window[0] >= limits.window_ms / 1000:
            window.popleft()
        if len(window) >= limit:
            return f"{what} per {limits.window_ms // 1000 or 1} s: Limit {limit}, Used {limit}"
        window.append(now)
        return None

    def reset(self) -> None:
        self.windows.clear()
        self.total = 0
        self.counts.clear()
        self.log.clear()
        self.configure(Faults())
        self.models = default_table()


def control_of(request: AnyRequest) -> Control:
    control: Control = request.app.state.control
    return control


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
    if faults.idle_stores_s:
        store = store_of(request)
        for vs in store.vector_stores.values():
            vs["last_active_at"] = int(vs["last_active_at"] or vs["created_at"]) - (
                faults.idle_stores_s
            )
        store.changed()
    return ok(faults.public())


@get("/_sandbox/models")
async def get_models(request: AnyRequest) -> Response[Any]:
    return ok({"models": [model.table_entry() for model in control_of(request).models]})


@post("/_sandbox/models")
async def set_models(request: AnyRequest) -> Response[Any]:
    """Replace the model table: ``{"models": [{"id", "reasoning", "context_tokens",
    "efforts", "sampling", "shutdown_date"}]}``."""
    control = control_of(request)
    control.models = parse_table(await json_body(request))
    return ok({"models": [model.table_entry() for model in control.models]})


@post("/_sandbox/reset")
async def reset(request: AnyRequest) -> Response[Any]:
    store_of(request).reset()
    control_of(request).reset()
    request.app.state.crm.reset()  # the CRM fakes' leads, log and faults
    request.app.state.telegram.reset()  # the Bot API fake's chats, updates, faults
    return ok({"ok": True})


ROUTES: list[Any] = [stats, requests, get_faults, set_faults, get_models, set_models, reset]
