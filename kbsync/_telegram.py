"""``kbsync telegram set-webhook --url URL | delete-webhook | poll``, and the bot the relay
serves (``channel_from_env``, the relay's ``TelegramChannel``).

The bot's chat limits are the web's: read once by the relay's configuration
(``RATE_LIMIT``, ``TOKEN_BUDGET``, ``CONVERSATION_TTL``, ``MAX_TURNS``,
``MAX_MESSAGE_CHARS``) and applied per Telegram user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import click

from handoff import Desk
from kbcore.kbdir import require_kb
from kbcore.openai_client import ClientSettings
from kbcore.output import exit_with, info, warn
from kbsync.cli import kb_option
from leads import Deliverer, HttpTransport, Outbox, outbox_path, retention_days, sinks_from_env
from relay._config import Config, RateLimit
from relay._telegram_webhook import Answering
from state import open_state
from telegram import (
    ChatLimits,
    Ready,
    Standalone,
    TelegramBot,
    TelegramConfig,
    TelegramConfigError,
    TelegramError,
    Window,
    configure_logging,
)

log = logging.getLogger("kbsync.telegram")
NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set: create the bot with BotFather and set its token "
    "(see docs/telegram.md)."
)


def _window(limit: RateLimit | None) -> Window | None:
    return None if limit is None else Window(limit.count, limit.seconds)


def limits_of(config: Config) -> ChatLimits:
    """The web's limits, for the bot."""
    return ChatLimits(
        rate=_window(config.rate_limit),
        budget=_window(config.token_budget),
        conversation_ttl=config.conversation_ttl,
        max_turns=config.max_turns,
        max_message_chars=config.max_message_chars,
    )


def _config() -> TelegramConfig:
    config = TelegramConfig.from_env()
    if config is None:
        raise TelegramConfigError(NO_TOKEN)
    return config


class RelayTelegram:
    """The bot inside the relay's process, answering with the relay's own spec, store and
    engine; fed by the relay's webhook route."""

    def __init__(self, config: TelegramConfig, limits: ChatLimits) -> None:
        configure_logging()  # the bot's JSON lines beside the relay's, on stderr
        self.config = config
        self.state = open_state()
        self._answering: Callable[[], Answering | None] = lambda: None
        self.bot = TelegramBot(
            config, self.state, self._current, limits=limits, outbox_path=outbox_path()
        )

    def _current(self) -> Ready | None:
        answering = self._answering()
        return None if answering is None else Ready(*answering)

    @property
    def webhook_secret(self) -> str | None:
        return self.config.webhook_secret

    @property
    def desk(self) -> Desk | None:
        return self.bot.desk

    def feed(self, body: bytes) -> bool:
        return self.bot.feed(body)

    async def start(self, answering: Callable[[], Answering | None]) -> None:
        self._answering = answering
        try:
            await self.bot.start()
        except Exception as exc:  # Telegram unreachable: the web keeps working
            log.warning("telegram getMe failed; group mentions wait for it: %s", exc)

    async def stop(self) -> None:
        await self.bot.close()
        self.state.close()


def channel_from_env() -> RelayTelegram | None:
    """The bot for the relay, when ``TELEGRAM_BOT_TOKEN`` is set. A bad Telegram setting
    is said in one line and the relay serves the web without the bot."""
    try:
        config = TelegramConfig.from_env()
    except TelegramConfigError as exc:
        warn(f"{exc} The relay starts without the Telegram bot.")
        return None
    if config is None:
        return None
    return RelayTelegram(config, limits_of(Config.from_env()))


async def _with_bot(action: Callable[[TelegramBot], object]) -> None:
    config = _config()
    state = open_state()
    bot = TelegramBot(config, state, lambda: None, limits=ChatLimits(), outbox_path=outbox_path())
    try:
        result = action(bot)
        if asyncio.iscoroutine(result):
            await result
    finally:
        await bot.close()
        state.close()


async def _deliver_leads(stop: asyncio.Event) -> None:
    sinks, missing = sinks_from_env(os.environ)
    if not sinks:
        return
    outbox = Outbox(outbox_path())
    deliverer = Deliverer(
        outbox, sinks, HttpTransport(), missing=missing, retention_days=retention_days()
    )
    while not stop.is_set():
        try:
            await deliverer.run(stop)
        except Exception as exc:  # the outbox keeps every lead: look again shortly
            log.warning("lead delivery failed, retrying: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 5)


async def poll(kb_dir: Path) -> int:
    """Long polling until Ctrl-C, answering from ``kb_dir``'s store; leads delivered too."""
    config = _config()
    relay_config = Config.from_env()
    configure_logging()
    assistant = Standalone(kb_dir, ClientSettings.from_env(), os.environ.get("VECTOR_STORE_ID"))
    await assistant.start()
    state = open_state()
    bot = TelegramBot(
        config, state, assistant.current, limits=limits_of(relay_config),
        outbox_path=outbox_path(),
    )  # fmt: skip
    stop = asyncio.Event()
    leads = asyncio.create_task(_deliver_leads(stop))
    try:
        await bot.start()
        info(f"Telegram bot @{bot.ctx.username} polling {config.api_url} (Ctrl-C stops).")
        await bot.poll()
    finally:
        stop.set()
        await leads
        await bot.close()
        await assistant.aclose()
        state.close()
    return 0


@click.group(name="telegram", context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The Telegram bot: register its webhook, or run it by long polling."""


@main.command("set-webhook")
@click.option("--url", required=True, help="The relay's public https URL of /telegram/webhook.")
@click.option("--drop-pending", is_flag=True, help="Forget the updates Telegram holds.")
def set_webhook(url: str, drop_pending: bool) -> None:
    """Have Telegram deliver updates to the relay (with TELEGRAM_WEBHOOK_SECRET)."""

    async def run(bot: TelegramBot) -> None:
        await bot.set_webhook(url, drop_pending=drop_pending)
        info(f"Telegram now delivers updates to {url}.")

    exit_with(lambda: _run(run))


@main.command("delete-webhook")
@click.option("--drop-pending", is_flag=True, help="Forget the updates Telegram holds.")
def delete_webhook(drop_pending: bool) -> None:
    """Stop webhook delivery (then kbsync telegram poll can take the updates)."""

    async def run(bot: TelegramBot) -> None:
        await bot.delete_webhook(drop_pending=drop_pending)
        info("Telegram no longer delivers to a webhook; kbsync telegram poll can take updates.")

    exit_with(lambda: _run(run))


@main.command("poll")
@kb_option
def poll_command(kb_dir: Path) -> None:
    """Run the bot by long polling (development, or one host without a public URL)."""

    def run() -> int:
        folder = require_kb(kb_dir)
        try:
            return asyncio.run(poll(folder))
        except KeyboardInterrupt:
            return 130

    exit_with(run)


def _run(action: Callable[[TelegramBot], object]) -> int:
    try:
        asyncio.run(_with_bot(action))
    except TelegramError:
        raise
    except Exception as exc:
        from aiogram.exceptions import TelegramAPIError

        if isinstance(exc, TelegramAPIError):
            method = getattr(exc.method, "__api_method__", "the call")
            raise TelegramError(f"Telegram refused {method}: {exc.message}") from exc
        raise
    return 0


DEV_TOKEN = "7000000001:kbsync-dev-sandbox-token-0123456789"


def dev_telegram_env(sandbox_url: str, env: dict[str, str]) -> list[str]:
    """Point the bot at the sandbox's Bot API fake (for ``kbsync dev``) unless the
    environment names a bot of its own; the lines that say where to chat with it."""
    if env.get("TELEGRAM_BOT_TOKEN", "").strip():
        return []
    from sandbox.telegram import OPERATORS_CHAT_ID

    env["TELEGRAM_BOT_TOKEN"] = DEV_TOKEN
    env["TELEGRAM_API_URL"] = f"{sandbox_url}/telegram"
    env.setdefault("HANDOFF_TELEGRAM_CHAT_ID", str(OPERATORS_CHAT_ID))
    return [f"Open {sandbox_url}/_sandbox/telegram/ to chat with the bot (and as an operator)."]
