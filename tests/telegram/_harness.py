"""The bot against the sandbox: the Bot API fake for Telegram, the OpenAI half for answers.

``BotRun`` holds a ``TelegramBot`` in one event loop; ``deliver`` takes what the fake
queued for ``getUpdates`` and feeds each update as the relay's webhook route would, then
waits until the bot has processed them.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbcore.openai_client import ClientSettings
from state import open_state
from telegram import ChatLimits, Standalone, TelegramBot, TelegramConfig
from testing.sandbox import API_KEY, sandbox_call
from testing.servers import Server

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "tg-webhook-secret_0123456789"
OPERATORS = -1001000000001
ANNA = {"id": 1001, "first_name": "Anna", "language_code": "en"}
IVAN = {"id": 1002, "first_name": "Иван", "language_code": "ru"}
NO_LIMITS = ChatLimits(rate=None)


def play(sandbox: Server, **body: Any) -> Any:
    return sandbox_call(sandbox, "POST", "/_sandbox/telegram/updates", body)


def sent(sandbox: Server, chat_id: int | None = None) -> list[dict[str, Any]]:
    query = "" if chat_id is None else f"?chat_id={chat_id}"
    entries: list[dict[str, Any]] = sandbox_call(sandbox, "GET", f"/_sandbox/telegram/sent{query}")[
        "sent"
    ]
    return entries


def rates(sandbox: Server) -> dict[str, Any]:
    result: dict[str, Any] = sandbox_call(sandbox, "GET", "/_sandbox/telegram/sent")["rates"]
    return result


def kinds(entries: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in entries]


def messages(sandbox: Server, chat_id: int) -> list[dict[str, Any]]:
    return [e for e in sent(sandbox, chat_id) if e["kind"] == "message"]


@dataclass
class BotRun:
    bot: TelegramBot
    sandbox: Server
    offset: int = 0
    raw: list[dict[str, Any]] = field(default_factory=list)

    async def pending(self) -> list[dict[str, Any]]:
        """What the fake holds for getUpdates (confirming what was taken before)."""
        body = json.dumps({"offset": self.offset, "timeout": 0}).encode()
        url = f"{self.sandbox.url}/telegram/bot{TOKEN}/getUpdates"

        def call() -> Any:
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())

        updates: list[dict[str, Any]] = (await asyncio.to_thread(call))["result"]
        if updates:
            self.offset = updates[-1]["update_id"] + 1
        return updates

    async def deliver(self) -> list[dict[str, Any]]:
        """Feed every waiting update to the bot, as the webhook route does; wait for it."""
        updates = await self.pending()
        for update in updates:
            assert self.bot.feed(json.dumps(update).encode())
        self.raw += updates
        await self.bot.idle()
        return updates

    async def again(self, update: dict[str, Any]) -> None:
        """The same delivery once more (Telegram retries a webhook it thinks failed)."""
        assert self.bot.feed(json.dumps(update).encode())
        await self.bot.idle()


@asynccontextmanager
async def bot_run(
    sandbox: Server,
    kb: Path,
    vector_store_id: str,
    state_path: Path,
    *,
    limits: ChatLimits = NO_LIMITS,
    handoff_chat: int | None = OPERATORS,
) -> AsyncIterator[BotRun]:
    config = TelegramConfig(TOKEN, f"{sandbox.url}/telegram", SECRET, handoff_chat)
    settings = ClientSettings.from_env(
        {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": f"{sandbox.url}/v1"}
    )
    assistant = Standalone(kb, settings, vector_store_id)
    await assistant.start()
    state = open_state(path=state_path)
    bot = TelegramBot(
        config,
        state,
        assistant.current,
        limits=limits,
        outbox_path=state_path.with_name("outbox.db"),
    )
    await bot.start()
    try:
        yield BotRun(bot, sandbox)
    finally:
        await bot.close()
        await assistant.aclose()
        state.close()
