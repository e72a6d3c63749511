"""The relay's Telegram webhook and hand-off routes, with the bot plugged in by kbsync."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kbsync._telegram import channel_from_env
from relay._config import Config
from relay.app import create_app
from testing.club import QUESTION, Seeded
from testing.sandbox import API_KEY
from testing.servers import Server
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.telegram._harness import ANNA, OPERATORS, SECRET, TOKEN, messages, play, sent
from tests.telegram.conftest import BUSINESS, write_tg_kb

RELAY_SECRET = "relay-test-secret-0123456789abcdef"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def telegram_env(monkeypatch: pytest.MonkeyPatch, sandbox: Server, tmp_path: Path) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"{sandbox.url}/telegram")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("HANDOFF_TELEGRAM_CHAT_ID", str(OPERATORS))
    monkeypatch.setenv("STATE_DB", str(tmp_path / "state.db"))
    monkeypatch.setenv("RATE_LIMIT", "off")


def _relay(sandbox: Server, kb: Path, *, telegram: bool = True) -> TestClient[Any]:
    config = Config(
        openai_api_key=API_KEY, openai_base_url=f"{sandbox.url}/v1", kb_dir=kb,
        relay_secret=RELAY_SECRET, rate_limit=None, upstream_timeout=10.0,
    )  # fmt: skip
    app = create_app(config, telegram=channel_from_env() if telegram else None)
    return TestClient(app)


@pytest.fixture
def relay(
    telegram_env: None, sandbox: Server, kb: Path, seeded: Seeded
) -> Iterator[TestClient[Any]]:
    with _relay(sandbox, kb) as client:
        wait_for(lambda: client.get("/readyz").status_code == 200, what="the relay ready")
        yield client


def _updates(sandbox: Server, offset: int = 0) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{sandbox.url}/telegram/bot{TOKEN}/getUpdates",
        data=json.dumps({"offset": offset}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: list[dict[str, Any]] = json.loads(response.read())["result"]
        return result


def _hook(relay: TestClient[Any], update: dict[str, Any], secret: str | None = SECRET) -> Any:
    headers = {HEADER: secret} if secret is not None else {}
    return relay.post("/telegram/webhook", content=json.dumps(update), headers=headers)


def test_the_webhook_takes_telegrams_deliveries_only(
    relay: TestClient[Any], sandbox: Server
) -> None:
    play(sandbox, user=ANNA, text="/start")
    (update,) = _updates(sandbox)
    for secret in (None, "wrong-secret"):
        response = _hook(relay, update, secret)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert (
        relay.post("/telegram/webhook", content=b"[1]", headers={HEADER: SECRET}).json()["error"][
            "code"
        ]
        == "invalid_body"
    )
    assert sent(sandbox, ANNA["id"]) == []
    response = _hook(relay, update)
    assert (response.status_code, response.json()) == (200, {"ok": True})
    greeting = wait_for(lambda: messages(sandbox, ANNA["id"]), what="the greeting")
    assert greeting[0]["text"] == "Hello! Ask me about the club."
    assert _hook(relay, update).status_code == 200  # Telegram's retry: answered, not redone
    assert len(messages(sandbox, ANNA["id"])) == 1


def _token(relay: TestClient[Any]) -> str:
    response = relay.post("/api/chat", json={"message": QUESTION})
    events, _ = parse_sse(response.text)
    tokens = [e.data["conversation"] for e in events if e.event == "conversation"]
    return str(tokens[-1])


def test_a_widget_visitor_reaches_the_operators_and_reads_their_replies(
    relay: TestClient[Any], sandbox: Server
) -> None:
    token = _token(relay)
    assert relay.get("/api/handoff", params={"conversation": token}).json() == {
        "status": "bot",
        "messages": [],
    }
    response = relay.post("/api/handoff", json={"conversation": token, "message": "A person?"})
    assert (response.status_code, response.json()) == (202, {"status": "human"})
    (topic,) = [e for e in sent(sandbox, OPERATORS) if e["kind"] == "topic"]
    thread = topic["thread_id"]
    posts = [e["text"] for e in sent(sandbox, OPERATORS) if e["kind"] == "message"]
    assert posts[0].startswith(f"Visitor {token.split('.')[0][-6:]} (web) asks for a person.")
    assert posts[1].startswith(f"Visitor: {QUESTION}\nBot: ")  # from the conversation
    assert "5000 rubles" in posts[1]
    assert posts[1].endswith("\nVisitor: A person?")
    again = relay.post("/api/handoff", json={"conversation": token, "message": "Hello?"})
    assert again.status_code == 202
    assert [e["text"] for e in sent(sandbox, OPERATORS) if e["kind"] == "message"][-1] == "Hello?"
    olga = {"id": 2001, "first_name": "Olga"}
    play(sandbox, user=olga, chat=OPERATORS, thread_id=thread, text="Hi, I am Olga.")
    play(sandbox, user=olga, chat=OPERATORS, text="general chatter")  # not in its topic
    for update in _updates(sandbox):
        assert _hook(relay, update).status_code == 200

    def replies() -> Any:
        body = relay.get("/api/handoff", params={"conversation": token, "after": 0}).json()
        return body if body["messages"] else None

    body = wait_for(replies, what="the operator's reply")
    assert body["status"] == "human"
    assert [(m["n"], m["text"]) for m in body["messages"]] == [(1, "Hi, I am Olga.")]
    assert (
        relay.get("/api/handoff", params={"conversation": token, "after": 1}).json()["messages"]
        == []
    )
    play(sandbox, user=olga, chat=OPERATORS, thread_id=thread, text="/done")
    for update in _updates(sandbox, offset=0):
        _hook(relay, update)
    wait_for(
        lambda: relay.get("/api/handoff", params={"conversation": token}).json()["status"] == "bot",
        what="the conversation back with the bot",
    )


def test_handoff_refusals(relay: TestClient[Any]) -> None:
    assert (
        relay.get("/api/handoff", params={"conversation": "forged.x"}).json()["error"]["code"]
        == "invalid_conversation"
    )
    response = relay.post("/api/handoff", content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    token = _token(relay)
    bad = relay.get("/api/handoff", params={"conversation": token, "after": "-1"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "bad_request")


def test_outside_hours_is_409_handoff_closed(
    telegram_env: None, sandbox: Server, seeded: Seeded, tmp_path: Path
) -> None:
    never = BUSINESS.replace(
        "  telegram_chat: operators\n",
        '  telegram_chat: operators\n  hours: "Mon 00:00-00:01 Pacific/Kiritimati"\n',
    )
    kb = write_tg_kb(tmp_path / "kb", never)
    with _relay(sandbox, kb) as relay:
        wait_for(lambda: relay.get("/readyz").status_code == 200, what="the relay ready")
        response = relay.post("/api/handoff", json={"conversation": _token(relay)})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "handoff_closed"
    assert error["hours"] == "Mon 00:00-00:01 Pacific/Kiritimati"


def test_without_the_bot_the_routes_say_so(sandbox: Server, kb: Path, seeded: Seeded) -> None:
    with _relay(sandbox, kb, telegram=False) as relay:
        assert relay.post("/telegram/webhook", json={}).status_code == 404
        off = relay.get("/api/handoff", params={"conversation": "x.y"})
        assert (off.status_code, off.json()["error"]["code"]) == (404, "handoff_off")
