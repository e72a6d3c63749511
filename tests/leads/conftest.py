"""Lead fixtures: a form, an outbox on a moved-by-hand clock, the sandbox's CRM fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import leads
from kbcore.business import Leads, Localized
from testing.clock import FakeClock
from testing.sandbox import sandbox_call
from testing.servers import Server

CONSENT = {"ru": "Нажимая «Отправить», я соглашаюсь.", "en": "By sending, I agree."}
WEBHOOK_SECRET = "whsec-test-0123456789abcdef"
T0 = 1_800_000_000.0


def form(
    fields: tuple[str, ...] = ("name", "phone", "email", "comment"),
    required: tuple[str, ...] = ("name", "phone"),
    sinks: tuple[str, ...] = ("webhook", "bitrix24"),
) -> Leads:
    return Leads(fields, required, Localized(CONSENT), "https://club.example/privacy", sinks)


def make(form_: Leads | None = None, now: float = T0, **fields: str) -> leads.Lead:
    values = fields or {"name": "Anna", "phone": "+7 916 123-45-67"}
    return leads.make_lead(
        form_ or form(),
        values,
        consent=True,
        kb_name="club",
        channel="web",
        variant="main",
        language="ru",
        page="https://club.example/prices",
        now=now,
    )


def sink_env(server: Server) -> dict[str, str]:
    """Every sink's variables, pointing at the sandbox's fakes."""
    base = server.url
    return {
        "LEADS_WEBHOOK_URL": f"{base}/crm/webhook",
        "LEADS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BITRIX24_WEBHOOK_URL": f"{base}/crm/bitrix24/rest/1/testtoken/",
        "AMOCRM_BASE_URL": f"{base}/crm/amocrm",
        "AMOCRM_TOKEN": "amo-test-token",
        "HUBSPOT_BASE_URL": f"{base}/crm/hubspot",
        "HUBSPOT_TOKEN": "hs-test-token",
    }


def received(server: Server) -> dict[str, Any]:
    found: dict[str, Any] = sandbox_call(server, "GET", "/_sandbox/crm/received")
    return found


def crm_faults(server: Server, **fakes: dict[str, Any]) -> None:
    sandbox_call(server, "POST", "/_sandbox/crm/faults", fakes)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def outbox(tmp_path: Path, clock: FakeClock) -> Iterator[leads.Outbox]:
    box = leads.Outbox(tmp_path / "state.db", clock=clock)
    yield box
    box.close()
