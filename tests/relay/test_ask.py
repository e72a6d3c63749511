"""answer.ask: the channels' own request from the command line, against the live sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from answer.ask import Answered, ParameterRefused, ask, probe
from kbcore.errors import KbsyncError
from kbcore.kb import load_spec
from testing.club import QUESTION, Seeded
from testing.sandbox import only_model, sandbox_call
from testing.servers import Server
from testing.sse import parse_sse


def sent_bodies(sandbox: Server) -> list[dict[str, Any]]:
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=200")["requests"]
    return [r["body"] for r in log if r["method"] == "POST" and r["path"] == "/v1/responses"]


def test_ask_sends_the_relays_own_request(
    relay: TestClient[Any], kb: Path, seeded: Seeded, sandbox: Server, sandbox_env: None
) -> None:
    assert parse_sse(relay.post("/api/chat", json={"message": QUESTION}).text)[0][-1].event == (
        "done"
    )
    answered = asyncio.run(ask(load_spec(kb), seeded.vector_store_id, QUESTION))
    assert isinstance(answered, Answered)
    assert "5000 rubles" in answered.text
    assert answered.cited[:1] == ("prices.md",)
    assert set(answered.cited) <= set(seeded.file_paths.values())
    assert answered.incomplete is None
    assert answered.response_id.startswith("resp")
    by_relay, by_ask = sent_bodies(sandbox)
    # A first turn is answered before its conversation exists (one round trip).
    assert "conversation" not in by_relay
    assert by_ask == by_relay  # same builder, same parameters


def test_ask_reports_a_cut_answer(kb: Path, seeded: Seeded, sandbox_env: None) -> None:
    (kb / "assistant.yaml").write_text("name: relaytest\nmax_output_tokens: 16\n")
    answered = asyncio.run(ask(load_spec(kb), seeded.vector_store_id, QUESTION))
    assert answered.incomplete == "max_output_tokens"


def test_probe_accepts_the_spec(kb: Path, sandbox: Server, sandbox_env: None) -> None:
    (kb / "assistant.yaml").write_text("name: relaytest\ntemperature: 0.3\nmax_output_tokens: 64\n")
    asyncio.run(probe(load_spec(kb)))
    (body,) = sent_bodies(sandbox)
    assert "tools" not in body
    assert body["temperature"] == 0.3
    assert body["max_output_tokens"] == 64
    assert body["truncation"] == "auto"
    assert body.get("stream") in (None, False)


def test_probe_names_the_refused_parameter(kb: Path, sandbox: Server, sandbox_env: None) -> None:
    only_model(sandbox, "o-think", reasoning=True)
    (kb / "assistant.yaml").write_text(
        "name: relaytest\nmodel: o-think\ntemperature: 0.3\nreasoning:\n  effort: low\n"
    )
    with pytest.raises(ParameterRefused) as refused:
        asyncio.run(probe(load_spec(kb)))
    assert refused.value.param == "temperature"
    assert "temperature" in refused.value.message  # OpenAI's own words, for the operator
    assert isinstance(refused.value, KbsyncError)


def test_unknown_model_is_one_sentence(kb: Path, sandbox: Server, sandbox_env: None) -> None:
    (kb / "assistant.yaml").write_text("name: relaytest\nmodel: no-such-model\n")
    with pytest.raises(KbsyncError) as failed:
        asyncio.run(probe(load_spec(kb)))
    assert not isinstance(failed.value, ParameterRefused)
    assert "\n" not in str(failed.value)
    assert "404" in str(failed.value)


def test_no_key(kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(KbsyncError, match="OPENAI_API_KEY is not set"):
        asyncio.run(probe(load_spec(kb)))
