"""👍/👎 under the bot's answers: inline buttons in private chats; a press counts only for
an answer of the chat it comes from (callback data can be forged), and is logged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from testing.club import QUESTION, Seeded
from testing.servers import Server
from tests.telegram._harness import ANNA, IVAN, bot_run, messages, play, sent


def feedback_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "kbsync.telegram.events"
    ]
    return [
        {k: v for k, v in line.items() if k not in ("ts", "level")}
        for line in lines
        if line["event"] == "feedback"
    ]


def test_thumbs_under_an_answer_count_for_that_chat_only(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="kbsync.telegram.events")

    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text=QUESTION)
            play(sandbox, user=IVAN, text=QUESTION)
            await run.deliver()
            anna, ivan = messages(sandbox, ANNA["id"])[-1], messages(sandbox, IVAN["id"])[-1]
            rows = anna["reply_markup"]["inline_keyboard"]
            up, down = (button["callback_data"] for button in rows[0])
            ivans = ivan["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            assert [b["text"] for b in rows[0]] == ["👍", "👎"]
            assert up.startswith("fb:up:resp_")
            assert down == up.replace("fb:up:", "fb:down:")
            where = anna["message_id"]
            play(sandbox, user=ANNA, callback={"message_id": where, "data": down})
            play(sandbox, user=ANNA, callback={"message_id": where, "data": up})  # the last wins
            play(sandbox, user=ANNA, callback={"message_id": where, "data": ivans})  # his answer
            play(sandbox, user=ANNA, callback={"message_id": where, "data": "fb:up:resp_forged"})
            await run.deliver()

    asyncio.run(run())
    answers = [e for e in sent(sandbox) if e["kind"] == "callback_answer"]
    # A refused press is answered silently (the button stops spinning), a counted one thanked.
    assert [a.get("text") for a in answers] == [
        "Thank you for the rating!", "Thank you for the rating!", "", "",
    ]  # fmt: skip
    anna_id = messages(sandbox, ANNA["id"])[-1]["reply_markup"]["inline_keyboard"][0][0][
        "callback_data"
    ].removeprefix("fb:up:")
    base = {"event": "feedback", "response_id": anna_id, "reason": None, "variant": "main",
            "channel": "telegram", "kb_name": "tgtest"}  # fmt: skip
    assert feedback_records(caplog) == [{**base, "rating": "down"}, {**base, "rating": "up"}]
