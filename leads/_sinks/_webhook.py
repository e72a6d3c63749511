"""A signed JSON POST to the business's own endpoint (``LEADS_WEBHOOK_URL``).

``X-Kbsync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under
``LEADS_WEBHOOK_SECRET``; ``Idempotency-Key`` is the lead id, the same on every attempt,
so a receiver keeps the first and acknowledges the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from leads._http import Request, Transport
from leads._lead import Lead
from leads._sinks._base import judge, need


def signature(secret: str, body: bytes, t: int) -> str:
    """The ``X-Kbsync-Signature`` value for ``body`` sent at ``t``."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass(frozen=True)
class Webhook:
    name: ClassVar[str] = "webhook"
    url: str
    secret: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Webhook | str:
        values = need(env, "LEADS_WEBHOOK_URL", "LEADS_WEBHOOK_SECRET")
        if isinstance(values, str):
            return values
        return cls(values["LEADS_WEBHOOK_URL"], values["LEADS_WEBHOOK_SECRET"])

    async def deliver(self, lead: Lead, attempt: int, transport: Transport) -> str:
        body = lead.body()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": lead.id,
            "X-Kbsync-Signature": signature(self.secret, body, int(time.time())),
        }
        response = await transport.send(Request("POST", self.url, headers, body))
        judge(response, _reason)
        return f"HTTP {response.status}"


def _reason(data: Any) -> str | None:
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)
        if error is not None:
            return str(error)
        return str(data.get("message")) if data.get("message") else None
    return None
