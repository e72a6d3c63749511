"""Variants in the relay: chosen once per conversation, carried by its token, named on the
chat's log line, and kb/variants/*.md reloaded like instructions.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from testing.club import QUESTION
from testing.sandbox import sandbox_call
from testing.servers import Server
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.relay._helpers import KB_NAME
from tests.relay.conftest import MakeRelay

WARM = "Answer warmly and briefly."


@pytest.fixture
def variant_kb(kb: Path) -> Path:
    settings = kb / "assistant.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + "variants:\n  - {name: warm, weight: 100}\n",
        encoding="utf-8",
    )
    (kb / "variants").mkdir()
    (kb / "variants" / "warm.md").write_text(WARM + "\n", encoding="utf-8")
    return kb


def instructions(sandbox: Server) -> list[str]:
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=50")["requests"]
    return [r["body"]["instructions"] for r in log if r["path"] == "/v1/responses"]


def chat(http: TestClient[Any], token: str | None = None) -> str:
    body: dict[str, Any] = {"message": QUESTION}
    if token:
        body["conversation"] = token
    events, _ = parse_sse(http.post("/api/chat", json=body).text)
    assert events[-1].event == "done", events
    return [e.data["conversation"] for e in events if e.event == "conversation"][-1]


def test_a_variant_answers_its_share_and_stays_with_the_conversation(
    make_relay: MakeRelay, variant_kb: Path, sandbox: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="relay")
    with make_relay() as http:
        token = chat(http)
        claims = http.app.state.relay.signer.verify(KB_NAME, token)
        assert claims.variant == "warm"
        # The share drops to nothing: the running conversation keeps its variant.
        settings = variant_kb / "assistant.yaml"
        settings.write_text(
            settings.read_text(encoding="utf-8").replace("weight: 100", "weight: 1"),
            encoding="utf-8",
        )
        wait_for(lambda: http.app.state.relay.spec.spec.variants[0].weight == 1, what="the reload")
        token = chat(http, token)
        (variant_kb / "variants" / "warm.md").write_text("Warmer still.\n", encoding="utf-8")
        wait_for(
            lambda: http.app.state.relay.spec.spec.instructions_for("warm") == "Warmer still.",
            what="the reload of kb/variants/warm.md",
        )
        chat(http, token)
    assert instructions(sandbox)[-3:] == [WARM, WARM, "Warmer still."]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    chats = [line for line in lines if line.get("route") == "/api/chat"]
    assert [line["variant"] for line in chats] == ["warm", "warm", "warm"]
