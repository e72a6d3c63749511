"""``POST /crm/webhook``: a careful receiver. It keeps each lead once by its
``Idempotency-Key`` (a repeat is acknowledged, not stored again) and keeps every request
with its headers, so a test can check the ``X-Kbsync-Signature``."""

from __future__ import annotations

from typing import Any

from litestar import asgi
from litestar.types import Receive, Scope, Send

from sandbox.crm._serve import Answer, Fake
from sandbox.crm._state import CrmState
from sandbox.crm._wire import headers_of, parse_json

FAKE = Fake(
    "webhook",
    server_error=Answer(500, {"error": "Internal Server Error (sandbox fault)"}),
    refused=Answer(400, {"error": "The receiver refused this lead (sandbox fault)."}),
)


def _handle(crm: CrmState, scope: Scope, raw: bytes) -> Answer:
    key = headers_of(scope).get("idempotency-key")
    data: Any = parse_json(raw)
    if not key or not isinstance(data, dict):
        return Answer(400, {"error": "Send a JSON object with an Idempotency-Key header."})
    if key in crm.webhook:
        return Answer(200, {"ok": True, "duplicate": True})
    crm.webhook[key] = data
    return Answer(200, {"ok": True})


@asgi("/crm/webhook", is_mount=False, copy_scope=False)
async def webhook(scope: Scope, receive: Receive, send: Send) -> None:
    await FAKE.serve(scope, receive, send, _handle)
