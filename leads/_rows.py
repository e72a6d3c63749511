"""The outbox's values (a claim, a sink's state, a lead with its sinks) and how a lead
is written to and read from its row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from leads._fields import ContactFields
from leads._lead import Lead

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
STATUSES = (PENDING, DELIVERED, DEAD)

LEAD_COLUMNS = (
    "id, created_at, kb_name, channel, variant, fields, consent_sha256, consent_at, "
    "page, language, conversation_id"
)


@dataclass(frozen=True)
class Claim:
    """One attempt this worker holds the lease for: deliver ``lead`` to ``sink``."""

    lead: Lead
    sink: str
    attempt: int  # 1-based; > 1 means an earlier attempt failed or its outcome is unknown
    owner: str


class Finished(NamedTuple):
    """One attempt's result, as ``Outbox.finish`` takes it."""

    claim: Claim
    outcome: str
    detail: str
    after: float | None = None
    ms: float | None = None


@dataclass(frozen=True)
class SinkState:
    sink: str
    status: str
    attempts: int
    next_at: float
    reason: str | None
    updated_at: float


@dataclass(frozen=True)
class LeadRecord:
    lead: Lead
    sinks: tuple[SinkState, ...]

    @property
    def status(self) -> str:
        """dead if any sink is dead, else pending if any is pending, else delivered."""
        states = {s.status for s in self.sinks}
        for status in (DEAD, PENDING):
            if status in states:
                return status
        return DELIVERED


def lead_row(lead: Lead) -> tuple[object, ...]:
    return (
        lead.id,
        lead.created_at,
        lead.kb_name,
        lead.channel,
        lead.variant,
        json.dumps(lead.fields.present(), ensure_ascii=False),
        lead.consent_sha256,
        lead.consent_at,
        lead.page,
        lead.language,
        lead.conversation_id,
    )


def select_leads(conn: sqlite3.Connection, ids: set[str]) -> list[tuple[object, ...]]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return conn.execute(
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE id IN ({marks})", list(ids)
    ).fetchall()


def lead_of(row: Sequence[object]) -> Lead:
    (lead_id, created, kb_name, channel, variant, fields, sha, consent_at, page, lang, conv) = row
    values = json.loads(str(fields))
    return Lead(
        id=str(lead_id),
        created_at=float(created),  # type: ignore[arg-type]
        kb_name=str(kb_name),
        channel=str(channel),
        variant=str(variant),
        fields=ContactFields(**values),
        consent_sha256=str(sha),
        consent_at=float(consent_at),  # type: ignore[arg-type]
        page=None if page is None else str(page),
        language=None if lang is None else str(lang),
        conversation_id=None if conv is None else str(conv),
    )
