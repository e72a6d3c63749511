"""``POST /api/lead``: 202 only once the lead is in the outbox; one clear 400 per bad input,
with nothing stored; the call it answers is carried in the new token; logs carry ids only."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import leads
from relay._config import RateLimit
from relay._lead import LeadDesk
from relay._token import TokenSigner
from tests.leads._relay import GOOD, SECRET, lead_kb, lead_relay, offer, token


@pytest.fixture
def state_db(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def http(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, base_url: str, state_db: Path
) -> Iterator[TestClient[Any]]:
    with lead_relay(monkeypatch, lead_kb(tmp_path), base_url, state_db) as client:
        yield client


def stored(state_db: Path) -> list[leads.LeadRecord]:
    box = leads.Outbox(state_db)
    try:
        return box.records()
    finally:
        box.close()


def post(http: TestClient[Any], body: Any, **headers: str) -> Any:
    return http.post(
        "/api/lead", json=body, headers={"Accept-Language": "ru-RU,ru;q=0.9", **headers}
    )


def test_a_lead_is_kept_before_the_202_and_logged_by_id_only(
    http: TestClient[Any], state_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="relay"):
        response = post(
            http,
            {
                "fields": {**GOOD, "email": "anna@club.example"},
                "consent": True,
                "page": "https://club.example/prices",
            },
        )
    assert response.status_code == 202
    lead_id = response.json()["lead"]
    assert response.json() == {"lead": lead_id}
    [record] = stored(state_db)
    assert record.lead.id == lead_id
    assert record.lead.fields.phone == "+79161234567"
    assert record.lead.page == "https://club.example/prices"
    assert [(s.sink, s.status) for s in record.sinks] == [
        ("webhook", "pending"),
        ("bitrix24", "pending"),
    ]
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    [line] = [entry for entry in lines if entry["event"] == "lead"]
    assert {k: v for k, v in line.items() if k not in ("ts", "level")} == {
        "event": "lead",
        "lead": lead_id,
        "channel": "web",
        "variant": "main",
        "kb_name": "club",
    }
    text = caplog.text
    for detail in ("Anna", "916", "anna@club.example"):
        assert detail not in text
    metrics = http.get("/metrics").text
    assert "relay_leads_accepted_total 1" in metrics
    assert 'relay_leads_outbox{status="pending"} 2' in metrics


BAD = [
    (
        "bad phone",
        {"fields": {"name": "Anna", "phone": "12345"}, "consent": True},
        "invalid_lead",
        ["phone"],
    ),
    ("no consent", {"fields": GOOD, "consent": False}, "consent_required", None),
    ("consent missing", {"fields": GOOD}, "consent_required", None),
    (
        "10 KB field",
        {"fields": {**GOOD, "comment": "x" * 10_240}, "consent": True},
        "invalid_lead",
        ["comment"],
    ),
    (
        "HTML name",
        {"fields": {**GOOD, "name": "<img src=x onerror=alert(1)>"}, "consent": True},
        "invalid_lead",
        ["name"],
    ),
    ("fields not an object", {"fields": ["Anna"], "consent": True}, "invalid_lead", []),
    (
        "foreign token",
        {"conversation": token("other-kb"), "fields": GOOD, "consent": True},
        "invalid_conversation",
        None,
    ),
    (
        "forged token",
        {"conversation": "conv_x.AAAA", "fields": GOOD, "consent": True},
        "invalid_conversation",
        None,
    ),
    (
        "call without token",
        {"call_id": "call_1", "fields": GOOD, "consent": True},
        "invalid_lead",
        [],
    ),
    (
        "call not pending",
        {"conversation": token(), "call_id": "call_1", "fields": GOOD, "consent": True},
        "invalid_lead",
        [],
    ),
    (
        "another call",
        {
            "conversation": token(pending=offer("call_2")),
            "call_id": "call_1",
            "fields": GOOD,
            "consent": True,
        },
        "invalid_lead",
        [],
    ),
]


@pytest.mark.parametrize(("case", "body", "code", "fields"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_400_and_nothing_is_stored(
    http: TestClient[Any], state_db: Path, case: str, body: Any, code: str, fields: list[str] | None
) -> None:
    response = post(http, body)
    assert response.status_code == 400, case
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].endswith(".")
    if fields is not None:
        assert sorted(error["fields"]) == fields
    assert stored(state_db) == []


def test_the_answered_call_rides_in_the_new_token_and_answers_once(
    http: TestClient[Any], state_db: Path
) -> None:
    first = token(pending=offer("call_7"), variant="warm")
    response = post(
        http, {"conversation": first, "call_id": "call_7", "fields": GOOD, "consent": True}
    )
    assert response.status_code == 202
    lead_id = response.json()["lead"]
    claims = TokenSigner(SECRET).verify("club", response.json()["conversation"])
    assert (claims.conversation_id, claims.turn, claims.variant) == ("conv_test", 1, "warm")
    assert claims.pending is not None
    assert claims.pending.call_id == "call_7"
    assert json.loads(claims.pending.output or "") == {"status": "saved", "lead": lead_id}
    [record] = stored(state_db)
    assert record.lead.variant == "warm"
    assert record.lead.conversation_id == "conv_test"

    replay = post(
        http, {"conversation": first, "call_id": "call_7", "fields": GOOD, "consent": True}
    )
    assert replay.status_code == 400
    assert replay.json()["error"]["message"] == "This form was already answered."
    answered = post(
        http,
        {
            "conversation": response.json()["conversation"],
            "call_id": "call_7",
            "fields": GOOD,
            "consent": True,
        },
    )
    assert answered.status_code == 400
    assert len(stored(state_db)) == 1


def test_the_button_sends_a_lead_without_a_call(http: TestClient[Any], state_db: Path) -> None:
    response = post(http, {"conversation": token(), "fields": GOOD, "consent": True})
    assert response.status_code == 202
    assert set(response.json()) == {"lead"}


def test_shape_origin_and_size_are_checked_as_for_the_chat(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, base_url: str, state_db: Path
) -> None:
    kb = lead_kb(tmp_path)
    with lead_relay(
        monkeypatch,
        kb,
        base_url,
        state_db,
        allowed_origins=("https://club.example",),
        max_body_bytes=1024,
        rate_limit=RateLimit(2, "minute"),
    ) as http:
        assert (
            http.post("/api/lead", content=b"x", headers={"Content-Type": "text/plain"}).status_code
            == 415
        )
        too_big = post(http, {"fields": {**GOOD, "comment": "x" * 2000}, "consent": True})
        assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "body_too_large")
        foreign = post(http, {"fields": GOOD, "consent": True}, Origin="https://evil.example")
        assert (foreign.status_code, foreign.json()["error"]["code"]) == (403, "origin_not_allowed")
        nested = http.post(
            "/api/lead",
            content=b"[" * 500 + b"]" * 500,
            headers={"Content-Type": "application/json"},
        )
        assert nested.status_code == 400
        codes = [
            post(http, {"fields": GOOD, "consent": True}, Origin="https://club.example").status_code
            for _ in range(3)
        ]
        assert codes[-1] == 429
    assert len(stored(state_db)) == codes.count(202)


def test_without_leads_in_the_spec_the_route_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, base_url: str, state_db: Path
) -> None:
    with lead_relay(monkeypatch, lead_kb(tmp_path, "name: club\n"), base_url, state_db) as http:
        response = post(http, {"fields": GOOD, "consent": True})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "leads_off")


def test_a_listed_sink_without_its_variables_is_named_at_start(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    base_url: str,
    state_db: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LEADS_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("LEADS_WEBHOOK_SECRET", "whsec-0123456789")
    monkeypatch.delenv("BITRIX24_WEBHOOK_URL", raising=False)
    kb = lead_kb(tmp_path)
    with (
        caplog.at_level(logging.WARNING, logger="relay"),
        lead_relay(monkeypatch, kb, base_url, state_db),
    ):
        pass
    lines = [json.loads(r.getMessage()) for r in caplog.records]
    [line] = [entry for entry in lines if entry["event"] == "lead_sink_unconfigured"]
    assert (line["sink"], line["message"]) == (
        "bitrix24",
        "BITRIX24_WEBHOOK_URL is not set: its leads wait in the outbox until it is.",
    )


def test_an_outbox_that_cannot_be_opened_is_logged_and_takes_no_lead(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-file"
    blocked.mkdir()  # STATE_DB names a directory: SQLite cannot open it
    desk = LeadDesk(environ={"STATE_DB": str(blocked)})
    with caplog.at_level(logging.ERROR, logger="relay"):
        asyncio.run(desk.start())
    assert desk.intake is None  # /api/lead answers 503 not_ready: nothing is half-kept
    [line] = [json.loads(r.getMessage()) for r in caplog.records]
    assert line["event"] == "lead_outbox_unavailable"
    assert "set STATE_DB to a writable file path" in line["error"]
    asyncio.run(desk.stop())
