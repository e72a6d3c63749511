"""Leads by "Share phone", and hand-off to the operators' forum group and back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from leads import Outbox
from testing.club import QUESTION, Seeded
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.telegram._harness import ANNA, IVAN, OPERATORS, bot_run, messages, play, sent
from tests.telegram.conftest import BUSINESS, write_tg_kb


def _responses(sandbox: Server) -> list[dict[str, object]]:
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"]
    return [r for r in log if r["path"] == "/v1/responses"]


def test_the_contact_form_becomes_a_share_phone_button_and_a_lead(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=IVAN, text="Перезвоните мне, пожалуйста")
            await run.deliver()
            play(sandbox, user=IVAN, contact={"phone_number": "8 916 123-45-67"})
            await run.deliver()
            play(sandbox, user=IVAN, text=QUESTION)
            await run.deliver()

    asyncio.run(run())
    out = messages(sandbox, IVAN["id"])
    consent = out[0]
    assert consent["text"].startswith("Поделитесь номером телефона кнопкой ниже")
    assert "Отправляя, я соглашаюсь на обработку персональных данных." in consent["text"]
    assert "https://club.example/privacy" in consent["text"]
    assert consent["reply_markup"]["keyboard"] == [
        [{"text": "Поделиться номером", "request_contact": True}],
        [{"text": "Нет, спасибо"}],
    ]
    assert out[1]["text"] == "Спасибо! Мы скоро с вами свяжемся."
    assert out[1]["reply_markup"] == {"remove_keyboard": True}
    (record,) = Outbox(tmp_path / "outbox.db").records()
    assert record.lead.channel == "telegram"
    assert record.lead.fields.phone == "+79161234567"
    assert record.lead.fields.name == "Иван"
    last = _responses(sandbox)[-1]["body"]
    outputs = [i for i in last["input"] if i.get("type") == "function_call_output"]
    assert len(outputs) == 1
    assert json.loads(outputs[0]["output"])["status"] == "saved"


def test_someone_elses_contact_is_not_a_lead(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            contact = {"message": {
                "message_id": 9, "date": 1, "chat": {"id": 1001, "type": "private"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Anna"},
                "contact": {"phone_number": "+79161234567", "first_name": "Bob",
                            "user_id": 4242},
            }}  # fmt: skip
            play(sandbox, user=ANNA, text="/start")  # the fake knows the chat from here
            play(sandbox, update=contact)
            await run.deliver()

    asyncio.run(run())
    assert messages(sandbox, ANNA["id"])[-1]["text"] == (
        "Please share your own number with the button."
    )
    assert Outbox(tmp_path / "outbox.db").records() == []


def _topic_posts(sandbox: Server, thread: int) -> list[str]:
    return [
        e["text"]
        for e in sent(sandbox, OPERATORS)
        if e["kind"] == "message" and e["thread_id"] == thread
    ]


def test_operator_opens_a_topic_and_the_conversation_goes_both_ways(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    other_group = -100555
    sandbox_call(sandbox, "POST", "/_sandbox/telegram/chats", {"id": other_group, "title": "X"})
    olga = {"id": 2001, "first_name": "Olga"}

    async def run() -> int:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text=QUESTION)
            await run.deliver()
            play(sandbox, user=ANNA, text="/operator")
            await run.deliver()
            (topic,) = [e for e in sent(sandbox, OPERATORS) if e["kind"] == "topic"]
            thread = topic["thread_id"]
            play(sandbox, user=ANNA, text="Is anyone there?")
            await run.deliver()
            play(sandbox, user=olga, chat=OPERATORS, thread_id=thread, text="Hi Anna, I'm Olga.")
            # not from the operators' group: never reaches Anna
            play(sandbox, user=olga, chat=other_group, text="Hi Anna from elsewhere")
            play(sandbox, user={"id": 3003}, text="/done")
            await run.deliver()
            play(sandbox, user=olga, chat=OPERATORS, thread_id=thread, text="/done")
            await run.deliver()
            play(sandbox, user=ANNA, text=QUESTION)  # back to the bot
            await run.deliver()
            return int(thread)

    thread = asyncio.run(run())
    topics = [e for e in sent(sandbox, OPERATORS) if e["kind"] == "topic"]
    assert [t["text"] for t in topics] == ["Anna · telegram"]
    posts = _topic_posts(sandbox, thread)
    assert posts[0].startswith("Anna (telegram) asks for a person.")
    assert posts[1].startswith("Visitor: How much does a monthly membership cost?\nBot: ")
    assert posts[2] == "Is anyone there?"
    texts = [m["text"] for m in messages(sandbox, ANNA["id"])]
    assert texts[1] == "I have asked a person to join; they will answer here."
    assert texts[2] == "👤 Hi Anna, I'm Olga."
    assert "Hi Anna from elsewhere" not in " ".join(texts)
    assert texts[3] == (
        "The conversation with the person has ended; I can answer your questions again."
    )
    assert "5000 rubles" in texts[4]
    closed = [e for e in sent(sandbox, OPERATORS) if e["kind"] == "topic_closed"]
    assert [c["thread_id"] for c in closed] == [thread]


def test_outside_hours_the_lead_form_is_offered_instead(
    sandbox: Server, seeded: Seeded, tmp_path: Path
) -> None:
    never = BUSINESS.replace(
        "  telegram_chat: operators\n",
        '  telegram_chat: operators\n  hours: "Mon 00:00-00:01 Pacific/Kiritimati"\n',
    )
    kb = write_tg_kb(tmp_path / "kb", never)

    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text="/operator")
            await run.deliver()

    asyncio.run(run())
    texts = [m["text"] for m in messages(sandbox, ANNA["id"])]
    assert texts[0] == (
        "Nobody is available right now (we are here Mon 00:00-00:01 Pacific/Kiritimati)."
    )
    assert texts[1].startswith("Share your phone number with the button below")
    assert [e for e in sent(sandbox, OPERATORS) if e["kind"] == "topic"] == []


def test_the_model_can_hand_off_too(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text="Can I talk to a human, please?")
            await run.deliver()
            play(sandbox, user=ANNA, text="Thanks")
            await run.deliver()

    asyncio.run(run())
    assert [e["text"] for e in sent(sandbox, OPERATORS) if e["kind"] == "topic"] == [
        "Anna · telegram"
    ]
    texts = [m["text"] for m in messages(sandbox, ANNA["id"])]
    assert "I have asked a person to join; they will answer here." in texts
    # the next message goes to the person, not to the model
    assert len(_responses(sandbox)) == 1
