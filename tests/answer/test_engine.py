"""The answer engine on its own: what a second channel (the Telegram bot) uses."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from answer import Cited, Completed, Engine, Searched, TextDelta, Turn, Upstream
from kbcore.kb import load_spec
from kbcore.openai_client import ClientSettings
from testing.club import QUESTION, Seeded
from tests.relay._helpers import seed, write_kb


def test_the_engine_loads_without_the_web_channel() -> None:
    probe = (
        "import sys, answer, state, kbcore.kb; "
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'relay', 'litestar'}); "
        "print(loaded)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"


async def _turn(engine: Engine, turn: Turn) -> tuple[str, list[Any], Completed, str]:
    opened = await engine.start(turn)
    text: list[str] = []
    seen: list[Any] = []
    try:
        async for event in opened.events():
            seen.append(event)
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, Completed):
                return "".join(text), seen, event, opened.conversation_id
    finally:
        await opened.aclose()
    raise AssertionError("the answer ended without Completed")


def test_two_turns_through_the_engine_keep_the_conversation(
    tmp_path: Path, client: Any, base_url: str
) -> None:
    seeded: Seeded = seed(client)
    spec = load_spec(write_kb(tmp_path / "kb"))
    settings = ClientSettings(api_key="sk-test", base_url=base_url)

    async def run() -> str:
        engine = Engine(Upstream(settings, timeout=30))
        try:
            first = Turn(spec, seeded.vector_store_id, None, QUESTION)
            text, events, done, conversation_id = await _turn(engine, first)
            assert "5000 rubles" in text
            assert any(isinstance(e, Searched) for e in events)
            assert any(isinstance(e, Cited) for e in events)
            assert done.response_id.startswith("resp")
            assert conversation_id.startswith("conv")
            follow = Turn(spec, seeded.vector_store_id, conversation_id, "And a single visit?")
            _, _, _, again = await _turn(engine, follow)
            assert again == conversation_id
            return conversation_id
        finally:
            await engine.upstream.aclose()

    conversation_id = asyncio.run(run())
    # The first turn was answered before its conversation existed, and recorded in it after.
    items = list(client.conversations.items.list(conversation_id, order="asc"))
    roles = [item.role for item in items if item.type == "message"]
    assert roles == ["user", "assistant", "user", "assistant"]
