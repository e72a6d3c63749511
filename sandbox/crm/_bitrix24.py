"""Bitrix24's inbound webhook: ``/crm/bitrix24/rest/<user>/<token>/<method>.json`` for
``crm.lead.add`` and ``crm.lead.list`` (filter by any stored field, ``select``).

Shapes as Bitrix24 answers: ``{"result": <id>, "time": {…}}``; a list is ``{"result":
[…], "total": n, "time": {…}}``; errors ``{"error": "<CODE>", "error_description"}``.
"""

from __future__ import annotations

import time
from typing import Any

from litestar import asgi
from litestar.types import Receive, Scope, Send

from sandbox.crm._serve import Answer, Fake
from sandbox.crm._state import CrmState
from sandbox.crm._wire import parse_json
from sandbox.crm._wire import path as _path

FAKE = Fake(
    "bitrix24",
    server_error=Answer(
        500, {"error": "INTERNAL_SERVER_ERROR", "error_description": "Internal server error"}
    ),
    refused=Answer(
        400,
        {"error": "ERROR_CORE", "error_description": "The lead was not added (sandbox fault)."},
    ),
)


def _time() -> dict[str, Any]:
    now = time.time()
    return {"start": now, "finish": now, "duration": 0.0, "processing": 0.0}


def _error(status: int, code: str, description: str) -> Answer:
    return Answer(status, {"error": code, "error_description": description})


def _add(crm: CrmState, data: Any) -> Answer:
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, dict):
        return _error(400, "ERROR_ARGUMENT", "Parameter 'fields' must be array.")
    lead_id = len(crm.bitrix24) + 1
    crm.bitrix24.append({"ID": str(lead_id), **fields})
    return Answer(200, {"result": lead_id, "time": _time()})


def _matches(lead: dict[str, Any], filters: dict[str, Any]) -> bool:
    return all(str(lead.get(key)) == str(value) for key, value in filters.items())


def _list(crm: CrmState, data: Any) -> Answer:
    data = data if isinstance(data, dict) else {}
    filters = data.get("filter") or {}
    select = data.get("select") or ["*"]
    if not isinstance(filters, dict) or not isinstance(select, list):
        return _error(400, "ERROR_ARGUMENT", "Parameters 'filter' and 'select' must be arrays.")
    found = [lead for lead in crm.bitrix24 if _matches(lead, filters)]
    if "*" not in select:
        found = [{key: lead.get(key) for key in select} for lead in found]
    return Answer(200, {"result": found[:50], "total": len(found), "time": _time()})


PREFIX = "/crm/bitrix24/rest"
_METHODS = {"crm.lead.add.json": _add, "crm.lead.list.json": _list}


@asgi(PREFIX, is_mount=True, copy_scope=True)
async def bitrix24(scope: Scope, receive: Receive, send: Send) -> None:
    """``/crm/bitrix24/rest/<user>/<token>/<method>``: any user and token are let in."""
    method = _path(scope).rsplit("/", 1)[-1]

    def handle(crm: CrmState, _: Scope, raw: bytes) -> Answer:
        call = _METHODS.get(method)
        if call is None:
            return _error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        return call(crm, parse_json(raw))

    await FAKE.serve(scope, receive, send, handle)
