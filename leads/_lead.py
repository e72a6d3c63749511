"""A lead: who left a contact, where, and what they agreed to. A value, built once."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leads._fields import ContactFields

CHANNELS = ("web", "telegram")


def new_lead_id(now: float) -> str:
    """``ld_`` + 12 hex of milliseconds + 12 random hex: unique, and sorted by time."""
    return f"ld_{int(now * 1000):012x}{secrets.token_hex(6)}"


def consent_sha256(text: str) -> str:
    """The hex sha256 of the consent sentence the visitor saw (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


def iso(ts: float) -> str:
    """``2026-12-06T07:00:00Z`` (seconds)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Lead:
    id: str
    created_at: float  # Unix seconds
    kb_name: str
    channel: str  # "web" | "telegram"
    variant: str
    fields: ContactFields
    consent_sha256: str
    consent_at: float
    page: str | None = None
    language: str | None = None
    conversation_id: str | None = None  # kept for hand-off; never delivered

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body (and what every sink's message is made from)."""
        return {
            "id": self.id,
            "created_at": iso(self.created_at),
            "kb_name": self.kb_name,
            "channel": self.channel,
            "variant": self.variant,
            "fields": self.fields.present(),
            "consent": {"text_sha256": self.consent_sha256, "accepted_at": iso(self.consent_at)},
            "page": self.page,
        }

    def body(self) -> bytes:
        """``payload`` as compact UTF-8 JSON: the exact bytes a webhook signature covers."""
        return json.dumps(self.payload(), ensure_ascii=False, separators=(",", ":")).encode()
