"""The fake's page in a browser: a person plays a visitor and an operator, sees what the
bot sent (drafts, messages, buttons), under the page's strict CSP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from testing.servers import Server
from testing.waiting import wait_for
from tests.conftest import need
from tests.sandbox._telegram import OPERATORS, bot_call

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium")
    need(path is not None, "Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


def _updates(sandbox: Server) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = bot_call(sandbox, "getUpdates")[1]["result"]
    return result


def _chat_of(update: dict[str, Any]) -> int | None:
    chat_id = update.get("message", {}).get("chat", {}).get("id")
    return chat_id if isinstance(chat_id, int) else None


def test_a_person_chats_as_a_visitor_and_as_an_operator(
    chromium_browser: Any, sandbox: Server
) -> None:
    context = chromium_browser.new_context()
    errors: list[str] = []
    violations: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(f"{sandbox.url}/_sandbox/telegram/")
        page.locator("#status", has_text="getUpdates").wait_for()
        page.fill("#visitor-text", "Hello <b>bot</b>")
        page.press("#visitor-text", "Enter")
        update = wait_for(lambda: _updates(sandbox), what="the visitor's message")[0]
        assert update["message"]["text"] == "Hello <b>bot</b>"
        assert update["message"]["from"]["first_name"] == "Anna"
        markup = {"inline_keyboard": [[{"text": "👍", "callback_data": "fb:up"}]]}
        bot_call(sandbox, "sendMessageDraft", {"chat_id": 1001, "draft_id": 5, "text": "Thinking"})
        page.locator("#visitor-draft", has_text="Thinking").wait_for()
        bot_call(
            sandbox,
            "sendMessage",
            {"chat_id": 1001, "text": '<i>Hi</i> <a href="https://club.example/">there</a>',
             "parse_mode": "HTML", "reply_markup": markup},
        )  # fmt: skip
        page.locator("#visitor-log li.out", has_text="Hi there").wait_for()
        assert page.locator("#visitor-log li.in").inner_text() == "Hello <b>bot</b>"
        assert page.locator("#visitor-log a").get_attribute("href") == "https://club.example/"
        assert page.locator("#visitor-draft").is_hidden()
        page.locator("#visitor-keys button", has_text="👍").click()
        pressed = wait_for(
            lambda: [u for u in _updates(sandbox) if "callback_query" in u], what="the press"
        )
        assert pressed[0]["callback_query"]["data"] == "fb:up"
        topic = bot_call(sandbox, "createForumTopic", {"chat_id": OPERATORS, "name": "Anna · web"})
        thread = topic[1]["result"]["message_thread_id"]
        page.locator("#op-topic option", has_text="Anna · web").wait_for(state="attached")
        page.fill("#ops-text", "Olga here")
        page.press("#ops-text", "Enter")
        said = wait_for(
            lambda: [u for u in _updates(sandbox) if _chat_of(u) == OPERATORS],
            what="the operator's message",
        )
        assert said[0]["message"]["message_thread_id"] == thread
        assert said[0]["message"]["text"] == "Olga here"
    finally:
        context.close()
    assert errors == []
    assert violations == []
