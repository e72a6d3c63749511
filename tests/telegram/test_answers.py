"""Answers in Telegram: drafts then one HTML message in private chats, edits in groups,
/start, /new, languages, and what the bot does with what it cannot read."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from testing.club import QUESTION, Seeded
from testing.servers import Server
from tests.telegram._harness import ANNA, IVAN, bot_run, kinds, messages, play, rates, sent


def test_a_private_answer_streams_drafts_then_one_html_message_with_sources(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kbsync.telegram.events")

    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text=QUESTION)
            await run.deliver()

    asyncio.run(run())
    out = [e for e in sent(sandbox, ANNA["id"]) if e["kind"] != "action"]
    assert kinds(out)[-1] == "message"
    assert set(kinds(out)[:-1]) == {"draft"}
    assert len(out) >= 2
    final = out[-1]
    assert "5000 rubles" in final["text"]
    assert final["parse_mode"] == "HTML"
    assert '<a href="https://club.example/docs/' in final["html"]
    assert "Sources:" in final["text"]
    drafts = [e["text"] for e in out if e["kind"] == "draft"]
    assert all(final["text"].startswith(d.strip()[:20]) for d in drafts)
    assert len({e["draft_id"] for e in out if e["kind"] == "draft"}) == 1
    counted = rates(sandbox)
    assert counted["drafts"]["max_per_chat_1s"] <= 2
    assert counted["messages"]["max_per_chat_1s"] == 1
    (line,) = [
        json.loads(r.getMessage()) for r in caplog.records if r.name == "kbsync.telegram.events"
    ]
    assert {k: line[k] for k in ("event", "channel", "kb_name", "stream", "incomplete")} == {
        "event": "chat", "channel": "telegram", "kb_name": "tgtest", "stream": "done",
        "incomplete": None,
    }  # fmt: skip
    assert line["response_id"].startswith("resp")
    assert line["results"] >= 1
    assert line["cited"] >= 1
    assert "5000" not in json.dumps(line)  # no answer text
    assert "membership" not in json.dumps(line)  # no question


def test_start_greets_with_the_starters_in_the_visitors_language(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text="/start")
            play(sandbox, user=IVAN, text="/start")
            await run.deliver()

    asyncio.run(run())
    (anna,) = messages(sandbox, ANNA["id"])
    assert anna["text"] == "Hello! Ask me about the club."
    assert anna["reply_markup"]["keyboard"] == [
        [{"text": "How much is a membership?"}],
        [{"text": "Where are you?"}],
    ]
    (ivan,) = messages(sandbox, IVAN["id"])
    assert ivan["text"] == "Здравствуйте! Спросите о клубе."
    assert ivan["reply_markup"]["keyboard"][0] == [{"text": "Сколько стоит абонемент?"}]


def test_new_starts_a_new_conversation(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> list[str | None]:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            chats = run.bot.ctx.chats
            play(sandbox, user=IVAN, text=QUESTION)
            await run.deliver()
            first = chats.state.get("tg_chat", str(IVAN["id"]))["conversation_id"]
            play(sandbox, user=IVAN, text="/new")
            await run.deliver()
            gone = chats.state.get("tg_chat", str(IVAN["id"]))
            play(sandbox, user=IVAN, text=QUESTION)
            await run.deliver()
            second = chats.state.get("tg_chat", str(IVAN["id"]))["conversation_id"]
            return [first, gone, second]

    first, gone, second = asyncio.run(run())
    assert first is not None
    assert gone is None
    assert second is not None
    assert second != first
    texts = [m["text"] for m in messages(sandbox, IVAN["id"])]
    assert texts[1] == "Начнём заново. Задайте вопрос."


def test_stickers_and_voice_get_text_only_and_edits_are_let_be(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            first = play(sandbox, user=ANNA, text="/start")
            play(sandbox, user=ANNA, sticker=True)
            play(sandbox, user=IVAN, voice=True)
            play(sandbox, user=ANNA, edit={"message_id": first["message_id"], "text": "/new"})
            voter = {"id": 1001, "is_bot": False, "first_name": "Anna"}
            play(
                sandbox, update={"poll_answer": {"poll_id": "1", "user": voter, "option_ids": [0]}}
            )
            play(sandbox, update={"message": {"unknown": "shape"}})
            await run.deliver()

    asyncio.run(run())
    assert [m["text"] for m in messages(sandbox, ANNA["id"])] == [
        "Hello! Ask me about the club.",
        "I read text only; please type your question.",
    ]
    assert [m["text"] for m in messages(sandbox, IVAN["id"])] == [
        "Я понимаю только текст; напишите, пожалуйста, вопрос словами."
    ]


def test_an_update_delivered_twice_is_answered_once(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text=QUESTION)
            (update,) = await run.deliver()
            await run.again(update)
        # another process on the same state (a second relay replica) gets it too
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as other:
            await other.again(update)

    asyncio.run(run())
    assert len(messages(sandbox, ANNA["id"])) == 1


def test_groups_answer_only_when_mentioned_or_replied_to_with_edits(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    group = -100777
    from testing.sandbox import sandbox_call

    sandbox_call(sandbox, "POST", "/_sandbox/telegram/chats", {"id": group, "title": "Club"})

    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, chat=group, text=QUESTION)
            await run.deliver()
            assert sent(sandbox, group) == []
            play(sandbox, user=ANNA, chat=group, text=f"@kbsync_sandbox_bot {QUESTION}")
            await run.deliver()

    asyncio.run(run())
    out = [e for e in sent(sandbox, group) if e["kind"] != "action"]
    assert kinds(out)[0] == "message"
    assert set(kinds(out)[1:]) <= {"edit", "message"}
    assert out[0]["parse_mode"] is None
    final = [e for e in out if e["message_id"] == out[0]["message_id"]][-1]
    assert final["parse_mode"] == "HTML"
    assert "5000 rubles" in final["text"]
    assert rates(sandbox)["edits"]["max_per_chat_1s"] <= 1
