"""Bad input and faults: a flooding user, 429 retry_after, the Bot API failing, markup in
an answer, a message too long."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

from telegram import ChatLimits, Window
from testing.club import QUESTION, Seeded
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.telegram._harness import ANNA, IVAN, bot_run, messages, play


def test_a_flooding_user_is_told_once_then_ignored(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    limits = ChatLimits(rate=Window(2, 3600))

    async def run() -> None:
        async with bot_run(
            sandbox, kb, seeded.vector_store_id, tmp_path / "s.db", limits=limits
        ) as run:
            for _ in range(5):
                play(sandbox, user=ANNA, text=QUESTION)
            play(sandbox, user=IVAN, text=QUESTION)  # another user is not held back
            await run.deliver()

    asyncio.run(run())
    texts = [m["text"] for m in messages(sandbox, ANNA["id"])]
    told = "You are sending messages too fast; please wait a little and write again."
    assert texts.count(told) == 1
    assert sum("5000 rubles" in t for t in texts) == 2
    assert len(texts) == 3
    assert any("5000 rubles" in m["text"] for m in messages(sandbox, IVAN["id"]))


def test_a_token_budget_stops_answers_with_one_message(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    limits = ChatLimits(rate=None, budget=Window(1, 86400))  # spent by the first answer

    async def run() -> None:
        async with bot_run(
            sandbox, kb, seeded.vector_store_id, tmp_path / "s.db", limits=limits
        ) as run:
            for _ in range(3):
                play(sandbox, user=ANNA, text=QUESTION)
                await run.deliver()

    asyncio.run(run())
    texts = [m["text"] for m in messages(sandbox, ANNA["id"])]
    assert len(texts) == 2
    assert "5000 rubles" in texts[0]
    assert texts[1] == "You have reached the limit of answers for now; please come back later."


def _seed_for_one_429() -> int:
    """A seed whose first draw falls under rate 0.5 and second does not (World.pick)."""
    for seed in range(1000):
        rng = random.Random(seed)
        first = rng.random() < 0.5
        rng.choice(["429"])
        if first and rng.random() >= 0.5:
            return seed
    raise AssertionError("no seed")


def test_429_retry_after_is_honoured_and_the_answer_arrives_once(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    sandbox_call(
        sandbox,
        "POST",
        "/_sandbox/telegram/faults",
        {"rate": 0.5, "kinds": ["429"], "methods": ["sendMessage"], "retry_after_ms": 1000,
         "seed": _seed_for_one_429()},
    )  # fmt: skip

    async def run() -> float:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text=QUESTION)
            started = time.monotonic()
            await run.deliver()
            return time.monotonic() - started

    took = asyncio.run(run())
    (final,) = messages(sandbox, ANNA["id"])
    assert "5000 rubles" in final["text"]
    stats = sandbox_call(sandbox, "GET", "/_sandbox/telegram/stats")
    assert stats["requests"]["POST /telegram/bot{token}/sendMessage"] == 2
    assert took >= 1.0


def test_the_bot_api_failing_never_processes_an_update_twice(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    sandbox_call(
        sandbox,
        "POST",
        "/_sandbox/telegram/faults",
        {"rate": 1.0, "kinds": ["500"], "methods": ["sendMessage"], "seed": 1},
    )

    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text=QUESTION)
            (update,) = await run.deliver()
            sandbox_call(sandbox, "POST", "/_sandbox/telegram/faults", {})
            await run.again(update)  # Telegram's retry of the same update: skipped

    asyncio.run(run())
    stats = sandbox_call(sandbox, "GET", "/_sandbox/telegram/stats")
    assert stats["requests"]["POST /telegram/bot{token}/sendMessage"] == 4  # tried, given up
    assert messages(sandbox, ANNA["id"]) == []
    responses = [
        r
        for r in sandbox_call(sandbox, "GET", "/_sandbox/requests")["requests"]
        if r["path"] == "/v1/responses"
    ]
    assert len(responses) == 1


def test_upstream_failing_ends_with_a_short_apology(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(sandbox, kb, seeded.vector_store_id, tmp_path / "s.db") as run:
            sandbox_call(
                sandbox, "POST", "/_sandbox/faults",
                {"rate": 1.0, "kinds": ["500"], "routes": ["POST /v1/responses"], "seed": 1},
            )  # fmt: skip
            play(sandbox, user=IVAN, text=QUESTION)
            await run.deliver()

    asyncio.run(run())
    assert [m["text"] for m in messages(sandbox, IVAN["id"])] == [
        "Извините, сейчас не получается ответить; попробуйте через минуту."
    ]


def test_visitor_markup_in_an_answer_is_escaped(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path, client: object
) -> None:
    from testing.club import seed

    docs = {"rules.md": "# Rules\n\nThe pool rule: children <12 & adults <b>always</b> shower.\n"}
    store = seed(client, "tgtest-html", docs)
    (kb / "assistant.yaml").write_text(
        (kb / "assistant.yaml").read_text().replace("name: tgtest", "name: tgtest-html")
    )

    async def run() -> None:
        async with bot_run(sandbox, kb, store.vector_store_id, tmp_path / "s.db") as run:
            play(sandbox, user=ANNA, text="What is the pool rule for children?")
            await run.deliver()

    asyncio.run(run())
    (final,) = messages(sandbox, ANNA["id"])
    assert "children <12 & adults <b>always</b>" in final["text"]
    assert "children &lt;12 &amp; adults &lt;b&gt;always&lt;/b&gt;" in final["html"]


def test_a_message_over_the_limit_is_refused_politely(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    async def run() -> None:
        async with bot_run(
            sandbox, kb, seeded.vector_store_id, tmp_path / "s.db",
            limits=ChatLimits(rate=None, max_message_chars=50),
        ) as run:  # fmt: skip
            play(sandbox, user=ANNA, text="x" * 51)
            await run.deliver()

    asyncio.run(run())
    assert [m["text"] for m in messages(sandbox, ANNA["id"])] == [
        "Your message is longer than 50 characters; please make it shorter."
    ]
