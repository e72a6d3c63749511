"""End to end in a browser: the widget's "Talk to a person", a topic in the operators'
group (the sandbox's Bot API fake), an operator's reply delivered by webhook to
``kbsync relay`` and shown in the widget by its polling."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.club import QUESTION, Seeded
from testing.sandbox import API_KEY
from testing.servers import Server, free_port, run_server
from testing.waiting import wait_for
from tests.conftest import need
from tests.telegram._harness import OPERATORS, SECRET, TOKEN, play, sent
from tests.widget import _ui as ui

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    import shutil

    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium")
    need(path is not None, "Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def relay(sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    env = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": f"{sandbox.url}/v1",
        "KB_DIR": str(kb),
        "RELAY_SECRET": "widget-tests-secret-0123456789abcdef",
        "RELAY_DEMO": "1",
        "RATE_LIMIT": "off",
        "ALLOWED_ORIGINS": "",
        "REDIS_URL": "",
        "STATE_DB": str(tmp_path / "state.db"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": f"{sandbox.url}/telegram",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "HANDOFF_TELEGRAM_CHAT_ID": str(OPERATORS),
    }
    args = ["-m", "kbsync", "relay", "--host", "127.0.0.1", "--port", str(port)]
    with run_server(
        args, port=port, ready_path="/readyz", log=tmp_path / "relay.log", env=env,
        cwd=tmp_path, ready_only=True, timeout=60,
    ) as server:  # fmt: skip
        hook = {"url": f"{server.url}/telegram/webhook", "secret_token": SECRET}
        request = urllib.request.Request(
            f"{sandbox.url}/telegram/bot{TOKEN}/setWebhook",
            data=json.dumps(hook).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        yield server


def test_talk_to_a_person_then_the_operators_reply_appears(
    chromium_browser: Any, relay: Server, sandbox: Server
) -> None:
    context = chromium_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        ui.open_chat(page, f"{relay.url}/")
        ui.ask(page, QUESTION)
        ui.wait_idle(page)
        page.locator("kb-chat button", has_text="Talk to a person").click()
        page.locator("kb-chat .log", has_text="A person will reply.").wait_for()
        (topic,) = wait_for(
            lambda: [e for e in sent(sandbox, OPERATORS) if e["kind"] == "topic"],
            what="the topic",
        )
        play(
            sandbox, user={"id": 2001, "first_name": "Olga"}, chat=OPERATORS,
            thread_id=topic["thread_id"], text="Hello, this is Olga from the club.",
        )  # fmt: skip
        page.locator("kb-chat .log", has_text="Hello, this is Olga from the club.").wait_for(
            timeout=15_000
        )
        ui.ask(page, "Can I come at 7?")
        wait_for(
            lambda: [
                e for e in sent(sandbox, OPERATORS)
                if e["kind"] == "message" and e["text"] == "Can I come at 7?"
            ],
            what="the visitor's message in the topic",
        )  # fmt: skip
    finally:
        context.close()
    assert errors == []
