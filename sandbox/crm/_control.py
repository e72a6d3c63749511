"""The fakes' control routes: ``GET /_sandbox/crm/received`` (every request with its
headers, and what each fake stored) and ``/_sandbox/crm/faults`` (per fake)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post

from sandbox._http import AnyRequest, json_body, ok
from sandbox.crm._state import CrmState


def _crm(request: AnyRequest) -> CrmState:
    state: CrmState = request.app.state.crm
    return state


@get("/_sandbox/crm/received")
async def received(request: AnyRequest) -> Response[Any]:
    crm = _crm(request)
    return ok({"requests": list(crm.received), "counts": dict(crm.counts), **crm.stored()})


@get("/_sandbox/crm/faults")
async def get_faults(request: AnyRequest) -> Response[Any]:
    return ok({fake: f.public() for fake, f in _crm(request).faults.items()})


@post("/_sandbox/crm/faults")
async def set_faults(request: AnyRequest) -> Response[Any]:
    """``{"bitrix24": {"rate": 0.3, "kinds": ["500", "timeout", "drop_reply"], "seed": 1}}``
    (kinds: 500, 400, timeout, drop_reply); replaces every fake's faults."""
    crm = _crm(request)
    crm.configure(await json_body(request))
    return ok({fake: f.public() for fake, f in crm.faults.items()})
