"""The bot's settings from the environment: each bad value named in one sentence."""

from __future__ import annotations

import pytest

from kbsync._telegram import channel_from_env
from telegram import DEFAULT_API_URL, TelegramConfig, TelegramConfigError

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_no_token_no_bot() -> None:
    assert TelegramConfig.from_env({}) is None


def test_a_full_configuration() -> None:
    config = TelegramConfig.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://127.0.0.1:8787/telegram/",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_-x",
            "HANDOFF_TELEGRAM_CHAT_ID": "-1001234567890",
        }
    )
    assert config == TelegramConfig(
        TOKEN, "http://127.0.0.1:8787/telegram", "s3cret_-x", -1001234567890
    )
    assert config.bot_id == 7000000001
    assert TOKEN not in repr(config)
    assert TelegramConfig.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}).api_url == DEFAULT_API_URL  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN does not look like a bot token"),
        ("TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL must be an http(s) URL"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces", "TELEGRAM_WEBHOOK_SECRET may hold only"),
        ("HANDOFF_TELEGRAM_CHAT_ID", "operators", "HANDOFF_TELEGRAM_CHAT_ID must be the operators"),
    ],
)
def test_a_bad_value_is_named(name: str, value: str, says: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, name: value}
    with pytest.raises(TelegramConfigError) as caught:
        TelegramConfig.from_env(env)
    assert str(caught.value).startswith(says)


def test_the_relay_starts_without_a_misconfigured_bot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    assert channel_from_env() is None
    assert capsys.readouterr().err.endswith("The relay starts without the Telegram bot.\n")
