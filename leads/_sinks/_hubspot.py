"""HubSpot CRM v3 (``HUBSPOT_TOKEN``, ``HUBSPOT_BASE_URL`` default https://api.hubapi.com):
the contact upserted by e-mail (``POST /crm/v3/objects/contacts/batch/upsert`` with
``idProperty: email``), or created when only a phone was given; then a note
(``POST /crm/v3/objects/notes``) associated with it (type 202, note → contact) that
carries the lead id, the comment and the page. Errors: ``{"status": "error", "message",
"category", "correlationId"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from leads._http import Request, Transport
from leads._lead import Lead, iso
from leads._sinks._base import judge, need

DEFAULT_API = "https://api.hubapi.com"
NOTE_TO_CONTACT = 202  # HubSpot's association type id: note → contact


def _properties(lead: Lead) -> dict[str, str]:
    fields = lead.fields
    props: dict[str, str] = {}
    if fields.name:
        first, _, last = fields.name.partition(" ")
        props["firstname"] = first
        if last:
            props["lastname"] = last
    if fields.phone:
        props["phone"] = fields.phone
    if fields.email:
        props["email"] = fields.email
    return props


def _note_text(lead: Lead) -> str:
    lines = [f"Lead {lead.id} from {lead.kb_name} ({lead.channel}, {iso(lead.created_at)})"]
    if lead.fields.comment:
        lines.append(lead.fields.comment)
    if lead.page:
        lines.append(f"Page: {lead.page}")
    return "\n".join(lines)


@dataclass(frozen=True)
class HubSpot:
    name: ClassVar[str] = "hubspot"
    base_url: str
    token: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HubSpot | str:
        values = need(env, "HUBSPOT_TOKEN")
        if isinstance(values, str):
            return values
        base = (env.get("HUBSPOT_BASE_URL") or DEFAULT_API).strip().rstrip("/")
        return cls(base, values["HUBSPOT_TOKEN"])

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def deliver(self, lead: Lead, attempt: int, transport: Transport) -> str:
        contact = await self._contact(lead, transport)
        note = {
            "properties": {
                "hs_timestamp": str(int(lead.created_at * 1000)),
                "hs_note_body": _note_text(lead),
            },
            "associations": [
                {
                    "to": {"id": contact},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": NOTE_TO_CONTACT,
                        }
                    ],
                }
            ],
        }
        url = f"{self.base_url}/crm/v3/objects/notes"
        response = await transport.send(Request.json("POST", url, note, self._headers()))
        data = judge(response, _reason)
        return f"contact {contact}, note {data['id']}"

    async def _contact(self, lead: Lead, transport: Transport) -> str:
        props = _properties(lead)
        if "email" in props:
            url = f"{self.base_url}/crm/v3/objects/contacts/batch/upsert"
            payload: Any = {
                "inputs": [{"idProperty": "email", "id": props["email"], "properties": props}]
            }
            response = await transport.send(Request.json("POST", url, payload, self._headers()))
            return str(judge(response, _reason)["results"][0]["id"])
        url = f"{self.base_url}/crm/v3/objects/contacts"
        response = await transport.send(
            Request.json("POST", url, {"properties": props}, self._headers())
        )
        if response.status == 409:  # a contact with this phone exists: HubSpot names its id
            existing = _conflict_id(response.json())
            if existing is not None:
                return existing
        return str(judge(response, _reason)["id"])


def _conflict_id(data: Any) -> str | None:
    message = str((data or {}).get("message", ""))
    marker = "Existing ID: "
    return message.split(marker, 1)[1].strip().split()[0] if marker in message else None


def _reason(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    parts = [str(data.get("category") or ""), str(data.get("message") or "")]
    return ": ".join(p for p in parts if p) or None
