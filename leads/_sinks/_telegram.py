"""A message to the managers' Telegram chat (``LEADS_TELEGRAM_CHAT_ID``), HTML-escaped.

Bot API: ``POST {TELEGRAM_API_URL}/bot<token>/sendMessage`` with ``chat_id``, ``text``,
``parse_mode: "HTML"``; an error is ``{"ok": false, "error_code", "description"}``, a 429
carries ``parameters.retry_after``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from leads._errors import SinkRetry
from leads._http import Request, Transport
from leads._lead import Lead, iso
from leads._sinks._base import judge, need

DEFAULT_API = "https://api.telegram.org"
_LABELS = {"name": "Name", "phone": "Phone", "email": "E-mail", "comment": "Comment"}


def message(lead: Lead) -> str:
    lines = [f"<b>New lead</b> {html.escape(lead.id)} ({html.escape(lead.kb_name)})"]
    for key, value in lead.fields.present().items():
        lines.append(f"{_LABELS[key]}: {html.escape(value)}")
    if lead.page:
        lines.append(f"Page: {html.escape(lead.page)}")
    lines.append(
        f"{html.escape(lead.channel)} · {html.escape(lead.variant)} · {iso(lead.created_at)}"
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class TelegramChat:
    name: ClassVar[str] = "telegram"
    api_url: str
    token: str = field(repr=False)
    chat_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TelegramChat | str:
        values = need(env, "TELEGRAM_BOT_TOKEN", "LEADS_TELEGRAM_CHAT_ID")
        if isinstance(values, str):
            return values
        api = (env.get("TELEGRAM_API_URL") or DEFAULT_API).strip().rstrip("/")
        return cls(api, values["TELEGRAM_BOT_TOKEN"], values["LEADS_TELEGRAM_CHAT_ID"])

    async def deliver(self, lead: Lead, attempt: int, transport: Transport) -> str:
        payload = {
            "chat_id": self.chat_id,
            "text": message(lead),
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        url = f"{self.api_url}/bot{self.token}/sendMessage"
        response = await transport.send(Request.json("POST", url, payload))
        if response.status == 429:
            data = response.json() or {}
            after = (data.get("parameters") or {}).get("retry_after")
            raise SinkRetry(
                f"HTTP 429: {data.get('description')}",
                after=float(after) if isinstance(after, int | float) else None,
            )
        data = judge(response, _reason)
        return f"message {data['result']['message_id']}"


def _reason(data: Any) -> str | None:
    return str(data.get("description")) if isinstance(data, dict) else None
