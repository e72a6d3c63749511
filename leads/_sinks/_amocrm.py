"""amoCRM (Kommo) API v4: ``POST {AMOCRM_BASE_URL}/api/v4/leads/complex`` with a bearer
token (``AMOCRM_TOKEN``): the deal and its contact in one call.

The deal is named after the lead id, so a retry first searches ``GET /api/v4/leads?query=
<lead id>`` and finds a deal whose reply was lost. Errors are ``application/problem+json``
(``title``, ``status``, ``detail``, ``validation-errors``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote

from leads._http import Request, Transport
from leads._lead import Lead
from leads._sinks._base import judge, need


def complex_payload(lead: Lead) -> list[dict[str, Any]]:
    fields = lead.fields
    custom: list[dict[str, Any]] = []
    if fields.phone:
        custom.append(
            {"field_code": "PHONE", "values": [{"value": fields.phone, "enum_code": "WORK"}]}
        )
    if fields.email:
        custom.append(
            {"field_code": "EMAIL", "values": [{"value": fields.email, "enum_code": "WORK"}]}
        )
    contact: dict[str, Any] = {"first_name": fields.name or fields.phone or fields.email}
    if custom:
        contact["custom_fields_values"] = custom
    deal_name = f"{lead.kb_name} {lead.id}" + (f": {fields.comment}" if fields.comment else "")
    return [
        {
            "name": deal_name[:255],
            "_embedded": {"contacts": [contact], "tags": [{"name": "kbsync"}]},
        }
    ]


@dataclass(frozen=True)
class AmoCrm:
    name: ClassVar[str] = "amocrm"
    base_url: str
    token: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AmoCrm | str:
        values = need(env, "AMOCRM_BASE_URL", "AMOCRM_TOKEN")
        if isinstance(values, str):
            return values
        return cls(values["AMOCRM_BASE_URL"].rstrip("/"), values["AMOCRM_TOKEN"])

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def deliver(self, lead: Lead, attempt: int, transport: Transport) -> str:
        if attempt > 1:
            found = await self._find(lead, transport)
            if found is not None:
                return f"deal {found} (found by the lead id)"
        url = f"{self.base_url}/api/v4/leads/complex"
        response = await transport.send(
            Request.json("POST", url, complex_payload(lead), self._headers())
        )
        data = judge(response, _reason)
        return f"deal {data[0]['id']}"

    async def _find(self, lead: Lead, transport: Transport) -> str | None:
        url = f"{self.base_url}/api/v4/leads?query={quote(lead.id)}"
        response = await transport.send(Request("GET", url, self._headers()))
        if response.status == 204:  # amoCRM answers an empty list with 204 No Content
            return None
        data = judge(response, _reason)
        deals = (data or {}).get("_embedded", {}).get("leads", [])
        return str(deals[0]["id"]) if deals else None


def _reason(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    said = str(data.get("detail") or data.get("title") or "")
    for item in data.get("validation-errors", []) or []:
        for error in item.get("errors", []):
            said += f"; {error.get('path')}: {error.get('detail')}"
    return said or None
