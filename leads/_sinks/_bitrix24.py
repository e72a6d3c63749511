"""Bitrix24: ``crm.lead.add`` through an inbound webhook (``BITRIX24_WEBHOOK_URL``,
``https://<portal>/rest/<user>/<token>/``).

The lead carries ``ORIGINATOR_ID`` (the source system, ``kbsync``) and ``ORIGIN_ID`` (the
lead id). A retry first asks ``crm.lead.list`` filtered by both, so a lead whose reply
was lost is found instead of added twice. Errors are ``{"error", "error_description"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from leads._http import Request, Transport
from leads._lead import Lead
from leads._sinks._base import judge, need

ORIGINATOR = "kbsync"


def lead_fields(lead: Lead) -> dict[str, Any]:
    fields = lead.fields
    title = f"{lead.kb_name}: {fields.name or fields.phone or fields.email}"
    values: dict[str, Any] = {
        "TITLE": title[:255],
        "SOURCE_ID": "WEB",
        "SOURCE_DESCRIPTION": lead.page or f"kbsync {lead.channel}",
        "ORIGINATOR_ID": ORIGINATOR,
        "ORIGIN_ID": lead.id,
        "OPENED": "Y",
    }
    if fields.name:
        values["NAME"] = fields.name
    if fields.phone:
        values["PHONE"] = [{"VALUE": fields.phone, "VALUE_TYPE": "WORK"}]
    if fields.email:
        values["EMAIL"] = [{"VALUE": fields.email, "VALUE_TYPE": "WORK"}]
    if fields.comment:
        values["COMMENTS"] = fields.comment
    return values


@dataclass(frozen=True)
class Bitrix24:
    name: ClassVar[str] = "bitrix24"
    webhook_url: str = field(repr=False)  # the token is in the path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Bitrix24 | str:
        values = need(env, "BITRIX24_WEBHOOK_URL")
        if isinstance(values, str):
            return values
        return cls(values["BITRIX24_WEBHOOK_URL"].rstrip("/"))

    async def deliver(self, lead: Lead, attempt: int, transport: Transport) -> str:
        if attempt > 1:
            found = await self._find(lead, transport)
            if found is not None:
                return f"lead {found} (found by ORIGIN_ID)"
        payload = {"fields": lead_fields(lead), "params": {"REGISTER_SONET_EVENT": "Y"}}
        response = await transport.send(
            Request.json("POST", f"{self.webhook_url}/crm.lead.add.json", payload)
        )
        data = judge(response, _reason)
        return f"lead {data['result']}"

    async def _find(self, lead: Lead, transport: Transport) -> str | None:
        payload = {
            "filter": {"ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": lead.id},
            "select": ["ID"],
        }
        response = await transport.send(
            Request.json("POST", f"{self.webhook_url}/crm.lead.list.json", payload)
        )
        data = judge(response, _reason)
        result = data.get("result") if isinstance(data, dict) else None
        return str(result[0]["ID"]) if result else None


def _reason(data: Any) -> str | None:
    if not isinstance(data, dict) or "error" not in data:
        return None
    return f"{data['error']}: {data.get('error_description', '')}".rstrip(": ")
