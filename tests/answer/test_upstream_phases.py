"""The answer engine against the sandbox's newer-model streams: a refusal reaches the
visitor as text, a commentary-phase preamble does not, and a context window that the
file_search results overflow mid-stream fails the turn as one that overflows before it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from answer import Engine, TextDelta, Turn, Upstream, UpstreamRejected
from kbcore.kb import load_spec
from kbcore.openai_client import ClientSettings
from sandbox._tokens import count_tokens
from testing.club import QUESTION, Seeded
from testing.sandbox import only_model, set_faults
from testing.servers import Server
from tests.relay._helpers import seed, write_kb


def _answer(tmp_path: Path, base_url: str, vector_store_id: str, model: str | None = None) -> str:
    kb = write_kb(tmp_path / "kb")
    if model is not None:
        (kb / "assistant.yaml").write_text(f"name: {kb.parent.name}\nmodel: {model}\n")
    spec = load_spec(kb)
    settings = ClientSettings(api_key="sk-test", base_url=base_url)

    async def run() -> str:
        engine = Engine(Upstream(settings, timeout=30))
        try:
            opened = await engine.start(Turn(spec, vector_store_id, None, QUESTION))
            try:
                return "".join([e.text async for e in opened.events() if isinstance(e, TextDelta)])
            finally:
                await opened.aclose()
        finally:
            await engine.upstream.aclose()

    return asyncio.run(run())


def test_a_refusal_reaches_the_visitor_as_text(
    tmp_path: Path, sandbox: Server, client: Any, base_url: str
) -> None:
    seeded: Seeded = seed(client)
    set_faults(sandbox, rate=1.0, kinds=["refusal"], routes=["POST /v1/responses"])
    text = _answer(tmp_path, base_url, seeded.vector_store_id)
    assert text == "I'm sorry, but I can't help with that request."


def test_commentary_is_not_shown(
    tmp_path: Path, sandbox: Server, client: Any, base_url: str
) -> None:
    seeded: Seeded = seed(client)
    set_faults(sandbox, rate=1.0, kinds=["commentary"], routes=["POST /v1/responses"])
    text = _answer(tmp_path, base_url, seeded.vector_store_id)
    assert "Let me look that up" not in text
    assert "5000 rubles" in text


def test_context_overflow_mid_stream_fails_like_before_it(
    tmp_path: Path, sandbox: Server, client: Any, base_url: str
) -> None:
    seeded: Seeded = seed(client)
    kb = write_kb(tmp_path / "probe")
    fixed = count_tokens(load_spec(kb).instructions) + count_tokens(QUESTION)
    # the request fits; the file_search results do not
    only_model(sandbox, "tiny", context_tokens=fixed + 5)
    with pytest.raises(UpstreamRejected) as mid:
        _answer(tmp_path / "mid", base_url, seeded.vector_store_id, "tiny")
    # the request alone does not fit: refused before the stream
    only_model(sandbox, "tiny", context_tokens=fixed - 5)
    with pytest.raises(UpstreamRejected) as before:
        _answer(tmp_path / "before", base_url, seeded.vector_store_id, "tiny")
    assert (
        str(mid.value)
        == str(before.value)
        == ("The conversation is too long for the assistant's model; start a new conversation.")
    )
    assert mid.value.code == before.value.code
