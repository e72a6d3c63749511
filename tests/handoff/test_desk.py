"""The hand-off desk over real SQLite state, with the operators' group recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handoff import Busy, Closed, Desk, Opened, Threads, telegram_key, web_key
from kbcore._business_read import parse_hours
from kbcore.business import Handoff
from state import State, open_state

GROUP = -1001000000001
ALWAYS = Handoff("operators", None)
WEEKDAYS = Handoff("operators", parse_hours("Mon-Fri 09:00-21:00 Europe/Moscow"))
MONDAY_NOON_MSK = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class Group:
    def __init__(self) -> None:
        self.topics: list[str] = []
        self.posts: list[tuple[int, str]] = []
        self.closed: list[int] = []

    async def open_topic(self, name: str) -> int:
        self.topics.append(name)
        return 100 + len(self.topics)

    async def post(self, topic: int, text: str) -> None:
        self.posts.append((topic, text))

    async def close_topic(self, topic: int) -> None:
        self.closed.append(topic)


class Told:
    def __init__(self) -> None:
        self.told: list[tuple[int, str, str]] = []

    async def tell(self, chat_id: int, text: str, language: str) -> None:
        self.told.append((chat_id, text, language))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    st = open_state(path=tmp_path / "state.db")
    yield st
    st.close()


@pytest.fixture
def group() -> Group:
    return Group()


@pytest.fixture
def told() -> Told:
    return Told()


@pytest.fixture
def desk(state: State, group: Group, told: Told) -> Desk:
    return Desk(Threads(state), group, GROUP, told)


def test_a_request_opens_one_topic_with_the_transcript_and_lead(desk: Desk, group: Group) -> None:
    opened = asyncio.run(
        desk.request(
            ALWAYS, web_key("conv_1"), channel="web", visitor="Anna", language="ru",
            transcript=[("user", "How much?"), ("assistant", "1,000 a month.")],
            lead="Anna, +79161234567", reason="asks for a manager",
        )
    )  # fmt: skip
    assert isinstance(opened, Opened)
    assert opened.new is True
    assert group.topics == ["Anna · web"]
    assert group.posts == [
        (
            101,
            "Anna (web) asks for a person.\nReason: asks for a manager\n"
            "Lead: Anna, +79161234567\nReply in this topic to answer; send /done when finished.",
        ),
        (101, "Visitor: How much?\nBot: 1,000 a month."),
    ]
    again = asyncio.run(
        desk.request(ALWAYS, web_key("conv_1"), channel="web", visitor="Anna", language="ru")
    )
    assert isinstance(again, Opened)
    assert (again.new, again.thread.topic, len(group.topics)) == (False, 101, 1)


def test_outside_hours_nobody_is_there(desk: Desk, group: Group) -> None:
    key = web_key("conv_2")
    closed = asyncio.run(
        desk.request(WEEKDAYS, key, channel="web", visitor="A", language="en", now=SUNDAY)
    )
    assert closed == Closed("Mon-Fri 09:00-21:00 Europe/Moscow")
    assert group.topics == []
    opened = asyncio.run(
        desk.request(WEEKDAYS, key, channel="web", visitor="A", language="en", now=MONDAY_NOON_MSK)
    )
    assert isinstance(opened, Opened)


def test_a_second_opener_at_the_same_time_is_busy(desk: Desk, state: State) -> None:
    key = web_key("conv_3")
    assert Threads(state).claim(key)
    assert (
        asyncio.run(desk.request(ALWAYS, key, channel="web", visitor="A", language="en")) == Busy()
    )


def test_operator_replies_reach_the_widget_and_telegram_visitors(desk: Desk, told: Told) -> None:
    web = asyncio.run(desk.request(ALWAYS, web_key("c"), channel="web", visitor="W", language="en"))
    tg = asyncio.run(
        desk.request(
            ALWAYS, telegram_key(1001), channel="telegram", visitor="T", language="ru",
            chat_id=1001,
        )
    )  # fmt: skip
    assert isinstance(web, Opened)
    assert isinstance(tg, Opened)
    asyncio.run(desk.operator_said(GROUP, web.thread.topic, "Hello from Olga"))
    asyncio.run(desk.operator_said(GROUP, tg.thread.topic, "Здравствуйте!"))
    status = desk.status(web_key("c"), 0).public()
    assert status["status"] == "human"
    assert [(m["n"], m["text"]) for m in status["messages"]] == [(1, "Hello from Olga")]
    assert desk.status(web_key("c"), 1).public()["messages"] == []
    assert told.told == [(1001, "Здравствуйте!", "ru")]


def test_messages_from_anywhere_but_the_group_topic_never_reach_a_visitor(
    desk: Desk, told: Told
) -> None:
    opened = asyncio.run(
        desk.request(
            ALWAYS, telegram_key(1001), channel="telegram", visitor="T", language="en",
            chat_id=1001,
        )
    )  # fmt: skip
    assert isinstance(opened, Opened)
    topic = opened.thread.topic
    assert asyncio.run(desk.operator_said(-100999, topic, "from another group")) is None
    assert asyncio.run(desk.operator_said(1002, topic, "from a private chat")) is None
    assert asyncio.run(desk.operator_said(GROUP, None, "the group's general topic")) is None
    assert asyncio.run(desk.operator_said(GROUP, 999, "a topic the desk did not open")) is None
    assert asyncio.run(desk.operator_said(GROUP, topic, "me, the bot", from_bot=True)) is None
    assert asyncio.run(desk.operator_said(-100999, topic, "/done")) is None
    assert told.told == []
    assert desk.status(telegram_key(1001), 0).status == "human"


def test_done_closes_the_topic_and_gives_the_chat_back_to_the_bot(desk: Desk, group: Group) -> None:
    opened = asyncio.run(
        desk.request(ALWAYS, web_key("d"), channel="web", visitor="W", language="en")
    )
    assert isinstance(opened, Opened)
    asyncio.run(desk.operator_said(GROUP, opened.thread.topic, "/done@kbsync_sandbox_bot"))
    assert group.closed == [opened.thread.topic]
    assert desk.status(web_key("d"), 0).status == "bot"
    assert asyncio.run(desk.visitor_said(web_key("d"), "anyone?")) is False


def test_visitor_messages_go_to_the_topic(desk: Desk, group: Group) -> None:
    opened = asyncio.run(
        desk.request(ALWAYS, web_key("e"), channel="web", visitor="W", language="en")
    )
    assert isinstance(opened, Opened)
    assert asyncio.run(desk.visitor_said(web_key("e"), "Are you there?")) is True
    assert group.posts[-1] == (opened.thread.topic, "Are you there?")


def test_a_thread_ends_by_itself_after_24_hours(state: State, group: Group) -> None:
    threads = Threads(state)
    desk = Desk(threads, group, GROUP)
    old = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    opened = asyncio.run(
        desk.request(ALWAYS, web_key("f"), channel="web", visitor="W", language="en", now=old)
    )
    assert isinstance(opened, Opened)
    assert threads.get(web_key("f"), now=old.timestamp() + 24 * 3600 - 1) is not None
    assert threads.get(web_key("f"), now=old.timestamp() + 24 * 3600) is None
    assert desk.status(web_key("f"), 0).status == "bot"  # now is days later
