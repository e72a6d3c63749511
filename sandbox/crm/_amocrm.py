"""amoCRM API v4: ``POST /crm/amocrm/api/v4/leads/complex`` (deals with their contact, up
to 50 per call) and ``GET /crm/amocrm/api/v4/leads?query=…`` (search; 204 when empty).

Successes are ``application/hal+json``; errors ``application/problem+json`` with
``title``, ``type``, ``status``, ``detail`` (and ``validation-errors`` for a 400).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from litestar import asgi
from litestar.types import Receive, Scope, Send

from sandbox.crm._serve import Answer, Fake
from sandbox.crm._state import CrmState
from sandbox.crm._wire import headers_of, parse_json

HAL = "application/hal+json"
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> Answer:
    body = {"title": title, "type": f"https://httpstatus.es/{status}", "status": status}
    return Answer(status, {**body, "detail": detail, **extra}, media_type=PROBLEM)


def _invalid(path: str, detail: str) -> Answer:
    errors = [
        {
            "request_id": "0",
            "errors": [{"code": "NotSupportedChoice", "path": path, "detail": detail}],
        }
    ]
    return problem(400, "Bad Request", "Request validation failed", **{"validation-errors": errors})


FAKE = Fake(
    "amocrm",
    server_error=problem(500, "Internal Server Error", "Internal server error (sandbox fault)"),
    refused=_invalid("name", "The deal was refused (sandbox fault)."),
)


def _authorized(scope: Scope) -> bool:
    scheme, _, token = headers_of(scope).get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _complex(crm: CrmState, data: Any) -> Answer:
    if not isinstance(data, list) or not 1 <= len(data) <= 50:
        return _invalid("", "Send a JSON array of 1 to 50 deals.")
    made = []
    for n, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
            return _invalid(f"{n}.name", "This value should be of type string.")
        contacts = (item.get("_embedded") or {}).get("contacts") or []
        deal_id = 1000 + len(crm.amocrm) + 1
        contact_id = 5000 + len(crm.amocrm) + 1 if contacts else None
        crm.amocrm.append(
            {
                "id": deal_id,
                "name": item.get("name", ""),
                "contact_id": contact_id,
                "created_at": int(time.time()),
                "_embedded": item.get("_embedded") or {},
            }
        )
        made.append(
            {
                "id": deal_id,
                "contact_id": contact_id,
                "company_id": None,
                "request_id": [str(item.get("request_id", n))],
                "merged": False,
            }
        )
    return Answer(200, made, media_type=HAL)


def _search(crm: CrmState, scope: Scope) -> Answer:
    query = parse_qs(scope.get("query_string", b"").decode()).get("query", [""])[0]
    found = [deal for deal in crm.amocrm if query and query in deal["name"]]
    if not found:
        return Answer(204, None, media_type=HAL)
    deals = [{"id": d["id"], "name": d["name"], "created_at": d["created_at"]} for d in found]
    body = {
        "_page": 1,
        "_links": {"self": {"href": "/api/v4/leads"}},
        "_embedded": {"leads": deals},
    }
    return Answer(200, body, media_type=HAL)


@asgi("/crm/amocrm/api/v4/leads", is_mount=False, copy_scope=False)
async def leads(scope: Scope, receive: Receive, send: Send) -> None:
    def handle(crm: CrmState, scope: Scope, raw: bytes) -> Answer:
        if not _authorized(scope):
            return problem(401, "Unauthorized", "Unauthorized")
        return _search(crm, scope)

    await FAKE.serve(scope, receive, send, handle)


@asgi("/crm/amocrm/api/v4/leads/complex", is_mount=False, copy_scope=False)
async def leads_complex(scope: Scope, receive: Receive, send: Send) -> None:
    def handle(crm: CrmState, scope: Scope, raw: bytes) -> Answer:
        if not _authorized(scope):
            return problem(401, "Unauthorized", "Unauthorized")
        return _complex(crm, parse_json(raw))

    await FAKE.serve(scope, receive, send, handle)
