"""HubSpot CRM v3 under ``/crm/hubspot``: contacts (create; batch upsert by a unique
property such as ``email``) and notes with associations.

Errors are ``{"status": "error", "message", "correlationId", "category"}``; a contact
created with an e-mail that exists is ``409 CONFLICT`` "Contact already exists. Existing
ID: <id>".
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import asgi
from litestar.types import Receive, Scope, Send

from sandbox.crm._serve import Answer, Fake
from sandbox.crm._state import CrmState
from sandbox.crm._wire import headers_of, parse_json, path


def error(status: int, category: str, message: str) -> Answer:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4())}
    return Answer(status, {**body, "category": category})


FAKE = Fake(
    "hubspot",
    server_error=error(500, "INTERNAL_ERROR", "internal error (sandbox fault)"),
    refused=error(400, "VALIDATION_ERROR", "Property values were not valid (sandbox fault)."),
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _object(
    object_id: str, properties: dict[str, Any], *, new: bool | None = None
) -> dict[str, Any]:
    now = _now()
    body: dict[str, Any] = {
        "id": object_id,
        "properties": properties,
        "createdAt": now,
        "updatedAt": now,
        "archived": False,
    }
    if new is not None:
        body["new"] = new
    return body


def _authorized(scope: Scope) -> bool:
    scheme, _, token = headers_of(scope).get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _unauthorized() -> Answer:
    return error(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
    )


def _create_contact(crm: CrmState, data: Any) -> Answer:
    props = data.get("properties") if isinstance(data, dict) else None
    if not isinstance(props, dict):
        return error(400, "VALIDATION_ERROR", "Invalid input JSON: 'properties' is required.")
    email = props.get("email")
    for contact in crm.hubspot_contacts:
        if email and contact["properties"].get("email") == email:
            return error(409, "CONFLICT", f"Contact already exists. Existing ID: {contact['id']}")
    contact = _object(str(100 + len(crm.hubspot_contacts) + 1), dict(props))
    crm.hubspot_contacts.append(contact)
    return Answer(201, contact)


def _upsert(crm: CrmState, data: Any) -> Answer:
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if not isinstance(inputs, list) or not inputs:
        return error(400, "VALIDATION_ERROR", "Invalid input JSON: 'inputs' is required.")
    results = []
    for item in inputs:
        prop, value = item.get("idProperty"), item.get("id")
        props = item.get("properties") or {}
        if not prop or not value:
            return error(400, "VALIDATION_ERROR", "Each input needs 'idProperty' and 'id'.")
        existing = next(
            (c for c in crm.hubspot_contacts if c["properties"].get(prop) == value), None
        )
        if existing is None:
            existing = _object(str(100 + len(crm.hubspot_contacts) + 1), {prop: value, **props})
            crm.hubspot_contacts.append(existing)
            results.append({**existing, "new": True})
        else:
            existing["properties"].update(props)
            results.append({**existing, "new": False})
    now = _now()
    return Answer(
        200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    )


def _note(crm: CrmState, data: Any) -> Answer:
    props = data.get("properties") if isinstance(data, dict) else None
    if not isinstance(props, dict) or not props.get("hs_timestamp"):
        return error(400, "VALIDATION_ERROR", "Property hs_timestamp is required.")
    ids = {c["id"] for c in crm.hubspot_contacts}
    for association in data.get("associations") or []:
        target = str((association.get("to") or {}).get("id"))
        if target not in ids:
            return error(400, "VALIDATION_ERROR", f"No contact with id {target} to associate.")
    note = _object(str(900 + len(crm.hubspot_notes) + 1), dict(props))
    crm.hubspot_notes.append({**note, "associations": data.get("associations") or []})
    return Answer(201, note)


_ROUTES = {
    ("POST", "contacts"): _create_contact,
    ("POST", "contacts/batch/upsert"): _upsert,
    ("POST", "notes"): _note,
}


@asgi("/crm/hubspot/crm/v3/objects", is_mount=True, copy_scope=True)
async def objects(scope: Scope, receive: Receive, send: Send) -> None:
    tail = path(scope).split("/crm/hubspot/crm/v3/objects", 1)[-1].strip("/")

    method = str(scope.get("method", ""))

    def handle(crm: CrmState, scope: Scope, raw: bytes) -> Answer:
        if not _authorized(scope):
            return _unauthorized()
        call = _ROUTES.get((method, tail))
        if call is None:
            return error(404, "OBJECT_NOT_FOUND", f"No route {method} /crm/v3/objects/{tail}")
        return call(crm, parse_json(raw))

    await FAKE.serve(scope, receive, send, handle)
