"""Turn what a visitor sent into a ``Lead`` (or say which field is wrong): every channel
uses this one rule, so a lead from the widget and one from Telegram are alike."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

from kbcore.business import Leads
from leads._errors import ConsentRequired, InvalidLead, SinkConfigError
from leads._fields import clean_fields, clean_page
from leads._http import TIMEOUT
from leads._lead import Lead, consent_sha256, new_lead_id
from state import DEFAULT_DB

DEFAULT_RETENTION_DAYS = 30


def make_lead(
    form: Leads,
    fields: object,
    *,
    consent: object,
    kb_name: str,
    channel: str,
    variant: str,
    language: str | None = None,
    page: object = None,
    conversation_id: str | None = None,
    now: float | None = None,
) -> Lead:
    """A lead from the visitor's ``fields``; raises ``ConsentRequired`` unless ``consent`` is
    ``true``, ``InvalidLead`` naming each bad field."""
    if consent is not True:
        raise ConsentRequired(
            "Please accept the consent to the processing of your personal data to send this."
        )
    if not isinstance(fields, Mapping):
        raise InvalidLead('Send "fields" as an object like {"name": "…", "phone": "…"}.', {})
    contact = clean_fields(fields, form, language=language)
    moment = time.time() if now is None else now
    return Lead(
        id=new_lead_id(moment),
        created_at=moment,
        kb_name=kb_name,
        channel=channel,
        variant=variant,
        fields=contact,
        consent_sha256=consent_sha256(form.consent.pick(language)),
        consent_at=moment,
        page=clean_page(page),
        language=language,
        conversation_id=conversation_id,
    )


def outbox_path(env: Mapping[str, str] | None = None) -> Path:
    """Where this replica keeps its outbox: ``STATE_DB``, else ``.kbsync/state.db`` (local
    SQLite even when ``REDIS_URL`` holds the rest of the state)."""
    environ = os.environ if env is None else env
    return Path(environ.get("STATE_DB") or DEFAULT_DB)  # beside the state store, always local


def retention_days(env: Mapping[str, str] | None = None) -> float:
    """``LEADS_RETENTION_DAYS`` (default 30): delivered leads are purged after it."""
    environ = os.environ if env is None else env
    raw = (environ.get("LEADS_RETENTION_DAYS") or "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = float(raw)
    except ValueError:
        days = -1
    if days <= 0:
        raise SinkConfigError(
            f"LEADS_RETENTION_DAYS must be a number of days above 0, got {raw!r}."
        )
    return days


def sink_timeout(env: Mapping[str, str] | None = None) -> float:
    """``LEADS_SINK_TIMEOUT``: seconds a sink has to answer one request (default 10)."""
    environ = os.environ if env is None else env
    raw = (environ.get("LEADS_SINK_TIMEOUT") or "").strip()
    if not raw:
        return TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 300:
        raise SinkConfigError(f"LEADS_SINK_TIMEOUT must be seconds between 0 and 300, got {raw!r}.")
    return seconds
