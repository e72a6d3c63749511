"""kbsync telegram set-webhook | delete-webhook | poll, against the sandbox's fake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from testing.club import QUESTION, Seeded
from testing.sandbox import API_KEY, sandbox_call
from testing.servers import Server
from testing.waiting import wait_for
from tests.telegram._harness import ANNA, SECRET, TOKEN, messages, play

pytestmark = pytest.mark.slow  # each test starts kbsync processes


def _env(sandbox: Server, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KB_"))}
    env.update(
        OPENAI_API_KEY=API_KEY,
        OPENAI_BASE_URL=f"{sandbox.url}/v1",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=f"{sandbox.url}/telegram",
        STATE_DB=str(tmp_path / "state.db"),
        **extra,
    )
    return env


def _kbsync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kbsync", "telegram", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_set_webhook_needs_the_secret_then_registers_it(sandbox: Server, tmp_path: Path) -> None:
    url = "http://127.0.0.1:8000/telegram/webhook"
    refused = _kbsync(_env(sandbox, tmp_path), "set-webhook", "--url", url)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1].startswith("error: TELEGRAM_WEBHOOK_SECRET is not set")
    done = _kbsync(
        _env(sandbox, tmp_path, TELEGRAM_WEBHOOK_SECRET=SECRET), "set-webhook", "--url", url
    )
    assert done.returncode == 0, done.stderr
    assert f"Telegram now delivers updates to {url}." in done.stderr
    info = sandbox_call(sandbox, "GET", "/_sandbox/telegram/stats")["webhook"]
    assert info["url"] == url
    log = sandbox_call(sandbox, "GET", "/_sandbox/telegram/requests")["requests"]
    assert log[-1]["params"]["secret_token"] == SECRET
    bad = _kbsync(_env(sandbox, tmp_path, TELEGRAM_WEBHOOK_SECRET=SECRET), "set-webhook",
                  "--url", "https://example.com/hook")  # fmt: skip
    assert bad.returncode == 1
    assert "Telegram refused setWebhook: Bad Request: bad webhook" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_poll_refuses_while_a_webhook_is_set_then_answers(
    sandbox: Server, kb: Path, seeded: Seeded, tmp_path: Path
) -> None:
    env = _env(sandbox, tmp_path, TELEGRAM_WEBHOOK_SECRET=SECRET, KB_DIR=str(kb))
    assert _kbsync(env, "set-webhook", "--url", "http://127.0.0.1:9/hook").returncode == 0
    refused = _kbsync(env, "poll")
    assert refused.returncode == 1
    assert "run kbsync telegram delete-webhook first" in refused.stderr
    assert _kbsync(env, "delete-webhook").returncode == 0
    bot = subprocess.Popen(
        [sys.executable, "-m", "kbsync", "telegram", "poll"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        play(sandbox, user=ANNA, text=QUESTION)
        answer = wait_for(lambda: messages(sandbox, ANNA["id"]), timeout=30, what="the answer")
        assert "5000 rubles" in answer[0]["text"]
    finally:
        bot.send_signal(signal.SIGINT)
        _, err = bot.communicate(timeout=30)
    assert "Telegram bot @kbsync_sandbox_bot polling" in err
    assert bot.returncode == 130
