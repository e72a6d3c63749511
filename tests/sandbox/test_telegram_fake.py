"""The Bot API fake: methods, error envelopes, updates by polling and webhook, faults,
send rates, and the page."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.sandbox._telegram import OPERATORS, TOKEN, VISITOR, bot_call, play, sent


def test_get_me_and_unknown_routes(sandbox: Server) -> None:
    status, body = bot_call(sandbox, "getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["id"] == 7000000001
    assert body["result"]["is_bot"] is True
    assert bot_call(sandbox, "noSuchMethod") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    request = urllib.request.Request(f"{sandbox.url}/telegram/botnot-a-token/getMe")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404


def test_method_names_are_case_insensitive(sandbox: Server) -> None:
    assert bot_call(sandbox, "GETME")[0] == 200


def test_send_to_an_unknown_chat_is_chat_not_found(sandbox: Server) -> None:
    assert bot_call(sandbox, "sendMessage", {"chat_id": 42, "text": "hi"}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )


def test_a_played_message_waits_for_get_updates_and_offset_confirms(sandbox: Server) -> None:
    first = play(sandbox, user=VISITOR, text="/start")
    second = play(sandbox, user=VISITOR, text="hello")
    assert first["delivery"] == "getUpdates"
    _, body = bot_call(sandbox, "getUpdates", {"timeout": 0})
    updates = body["result"]
    assert [u["update_id"] for u in updates] == [first["update_id"], second["update_id"]]
    message = updates[0]["message"]
    assert message["text"] == "/start"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"] == {"id": 1001, "type": "private", "first_name": "Anna"}
    assert message["from"]["language_code"] == "ru"
    _, body = bot_call(sandbox, "getUpdates", {"offset": second["update_id"]})
    assert [u["update_id"] for u in body["result"]] == [second["update_id"]]
    _, body = bot_call(sandbox, "getUpdates", {"offset": second["update_id"] + 1})
    assert body["result"] == []


def test_long_polling_returns_when_an_update_arrives(sandbox: Server) -> None:
    got: list[Any] = []
    poller = threading.Thread(
        target=lambda: got.append(bot_call(sandbox, "getUpdates", {"timeout": 20}))
    )
    started = time.monotonic()
    poller.start()
    time.sleep(0.3)  # the poll is waiting (no signal for "a request is parked" exists)
    play(sandbox, user=VISITOR, text="anyone?")
    poller.join(10)
    assert time.monotonic() - started < 5
    assert got[0][1]["result"][0]["message"]["text"] == "anyone?"


def test_a_second_poll_ends_the_first_with_409(sandbox: Server) -> None:
    got: list[Any] = []
    poller = threading.Thread(
        target=lambda: got.append(bot_call(sandbox, "getUpdates", {"timeout": 20}))
    )
    poller.start()
    time.sleep(0.3)
    assert bot_call(sandbox, "getUpdates", {"timeout": 0})[0] == 200
    poller.join(10)
    assert got == [
        (
            409,
            {
                "ok": False,
                "error_code": 409,
                "description": "Conflict: terminated by other getUpdates request; make sure "
                "that only one bot instance is running",
            },
        )
    ]


class _Receiver:
    """A webhook endpoint on loopback that records each delivery (headers, body)."""

    def __init__(self, status: int = 200) -> None:
        self.got: list[tuple[dict[str, str], Any]] = []
        self.arrived = threading.Event()
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.got.append((dict(self.headers), json.loads(self.rfile.read(length))))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                outer.arrived.set()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/telegram/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    receiver = _Receiver()
    yield receiver
    receiver.server.shutdown()


def test_webhook_delivers_with_the_secret_header(sandbox: Server, receiver: _Receiver) -> None:
    body = {"url": receiver.url, "secret_token": "s3cret_-Token"}
    assert bot_call(sandbox, "setWebhook", body) == (200, {"ok": True, "result": True})
    update = play(sandbox, user=VISITOR, text="via webhook")
    assert update["delivery"] == "webhook"
    assert receiver.arrived.wait(10)
    headers, delivered = receiver.got[0]
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_-Token"
    assert delivered["update_id"] == update["update_id"]
    assert delivered["message"]["text"] == "via webhook"
    assert bot_call(sandbox, "getUpdates") == (
        409,
        {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        },
    )
    assert bot_call(sandbox, "deleteWebhook")[0] == 200
    assert bot_call(sandbox, "getUpdates")[0] == 200


def test_webhook_refusals(sandbox: Server) -> None:
    assert bot_call(sandbox, "setWebhook", {"url": "https://example.com/hook"})[1][
        "description"
    ].startswith("Bad Request: bad webhook")
    status, body = bot_call(
        sandbox, "setWebhook", {"url": "http://127.0.0.1:9/h", "secret_token": "no spaces"}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: secret token contains unallowed characters",
    )


def test_html_is_parsed_strictly_and_length_counted_after_parsing(sandbox: Server) -> None:
    play(sandbox, user=VISITOR, text="hi")
    chat = {"chat_id": VISITOR["id"], "parse_mode": "HTML"}
    status, body = bot_call(sandbox, "sendMessage", {**chat, "text": "1 < 2"})
    assert status == 400
    assert body["description"] == (
        "Bad Request: can't parse entities: Unsupported start tag at byte offset 2"
    )
    status, body = bot_call(sandbox, "sendMessage", {**chat, "text": "<b>bold"})
    assert body["description"] == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    status, body = bot_call(sandbox, "sendMessage", {**chat, "text": "<script>x</script>"})
    assert body["description"] == (
        'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 0'
    )
    exact = "&lt;" * 4096  # 16,384 characters of HTML, 4,096 after parsing
    assert bot_call(sandbox, "sendMessage", {**chat, "text": exact})[0] == 200
    status, body = bot_call(sandbox, "sendMessage", {**chat, "text": exact + "x"})
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = bot_call(sandbox, "sendMessage", {**chat, "text": "<i> </i>"})
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    html = '1 &lt; 2 <a href="https://club.example/a?b=1&amp;c=2">Prices</a>'
    status, body = bot_call(sandbox, "sendMessage", {**chat, "text": html})
    assert body["result"]["text"] == "1 < 2 Prices"
    last = sent(sandbox)["sent"][-1]
    assert (last["kind"], last["text"], last["html"]) == ("message", "1 < 2 Prices", html)


def test_drafts_private_only_non_zero_id_and_cleared_by_a_message(sandbox: Server) -> None:
    play(sandbox, user=VISITOR, text="hi")
    draft = {"chat_id": VISITOR["id"], "draft_id": 7, "text": "Thinking"}
    assert bot_call(sandbox, "sendMessageDraft", draft) == (200, {"ok": True, "result": True})
    status, body = bot_call(sandbox, "sendMessageDraft", {**draft, "draft_id": 0})
    assert (status, body["description"]) == (400, "Bad Request: draft_id must be non-zero")
    status, body = bot_call(sandbox, "sendMessageDraft", {**draft, "chat_id": OPERATORS})
    assert status == 400
    timeline = sandbox_call(sandbox, "GET", "/_sandbox/telegram/timeline")
    assert timeline["drafts"] == [{"chat_id": 1001, "draft_id": 7, "text": "Thinking"}]
    bot_call(sandbox, "sendMessage", {"chat_id": VISITOR["id"], "text": "Done"})
    assert sandbox_call(sandbox, "GET", "/_sandbox/telegram/timeline")["drafts"] == []
    kinds = [entry["kind"] for entry in sent(sandbox)["sent"]]
    assert kinds == ["draft", "message"]


def test_edit_message_text(sandbox: Server) -> None:
    play(sandbox, user=VISITOR, text="hi")
    _, body = bot_call(sandbox, "sendMessage", {"chat_id": VISITOR["id"], "text": "one"})
    message_id = body["result"]["message_id"]
    edit = {"chat_id": VISITOR["id"], "message_id": message_id, "text": "one two"}
    status, body = bot_call(sandbox, "editMessageText", edit)
    assert (status, body["result"]["text"]) == (200, "one two")
    assert bot_call(sandbox, "editMessageText", edit) == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message is not modified: specified new message "
            "content and reply markup are exactly the same as a current content and reply "
            "markup of the message",
        },
    )
    status, body = bot_call(sandbox, "editMessageText", {**edit, "message_id": 999})
    assert body["description"] == "Bad Request: message to edit not found"
    status, body = bot_call(sandbox, "editMessageText", {**edit, "message_id": 1})
    assert body["description"] == "Bad Request: message can't be edited"  # the visitor's


def test_forum_topics(sandbox: Server) -> None:
    status, body = bot_call(
        sandbox, "createForumTopic", {"chat_id": OPERATORS, "name": "Anna · web"}
    )
    assert status == 200
    topic = body["result"]
    assert topic["name"] == "Anna · web"
    assert topic["icon_color"] == 0x6FB9F0
    thread = topic["message_thread_id"]
    to_topic = {"chat_id": OPERATORS, "message_thread_id": thread, "text": "transcript"}
    status, body = bot_call(sandbox, "sendMessage", to_topic)
    assert body["result"]["message_thread_id"] == thread
    assert body["result"]["is_topic_message"] is True
    played = play(sandbox, user={"id": 2001}, chat=OPERATORS, thread_id=thread, text="Hi!")
    _, updates = bot_call(sandbox, "getUpdates")
    message = updates["result"][-1]["message"]
    assert (message["message_thread_id"], message["chat"]["is_forum"]) == (thread, True)
    assert played["chat_id"] == OPERATORS
    close = {"chat_id": OPERATORS, "message_thread_id": thread}
    assert bot_call(sandbox, "closeForumTopic", close) == (200, {"ok": True, "result": True})
    assert bot_call(sandbox, "closeForumTopic", close)[1]["description"] == (
        "Bad Request: TOPIC_NOT_MODIFIED"
    )
    assert bot_call(sandbox, "sendMessage", to_topic)[1]["description"] == (
        "Bad Request: TOPIC_CLOSED"
    )
    sandbox_call(sandbox, "POST", "/_sandbox/telegram/chats", {"id": -100555, "title": "Plain"})
    status, body = bot_call(sandbox, "createForumTopic", {"chat_id": -100555, "name": "x"})
    assert (status, body["description"]) == (400, "Bad Request: the chat is not a forum")


def test_buttons_callbacks_and_contacts(sandbox: Server) -> None:
    play(sandbox, user=VISITOR, text="hi")
    markup = {"inline_keyboard": [[{"text": "👍", "callback_data": "fb:up"}]]}
    _, body = bot_call(
        sandbox,
        "sendMessage",
        {"chat_id": VISITOR["id"], "text": "Answer", "reply_markup": markup},
    )
    pressed = play(
        sandbox,
        user=VISITOR,
        callback={"message_id": body["result"]["message_id"], "data": "fb:up"},
    )
    _, updates = bot_call(sandbox, "getUpdates")
    query = updates["result"][-1]["callback_query"]
    assert (query["id"], query["data"]) == (pressed["query_id"], "fb:up")
    answer = {"callback_query_id": query["id"]}
    assert bot_call(sandbox, "answerCallbackQuery", answer)[0] == 200
    assert bot_call(sandbox, "answerCallbackQuery", answer)[1]["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    too_long = {"inline_keyboard": [[{"text": "x", "callback_data": "y" * 65}]]}
    status, body = bot_call(
        sandbox, "sendMessage", {"chat_id": VISITOR["id"], "text": "x", "reply_markup": too_long}
    )
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    share = {"keyboard": [[{"text": "Share phone", "request_contact": True}]]}
    status, body = bot_call(
        sandbox, "sendMessage", {"chat_id": OPERATORS, "text": "x", "reply_markup": share}
    )
    assert body["description"] == "Bad Request: phone number can be requested in private chats only"
    play(sandbox, user=VISITOR, contact={"phone_number": "+79161234567"})
    _, updates = bot_call(sandbox, "getUpdates")
    contact = updates["result"][-1]["message"]["contact"]
    assert contact == {"phone_number": "+79161234567", "first_name": "Anna", "user_id": 1001}


def test_stickers_voice_and_edits_are_played_as_telegram_sends_them(sandbox: Server) -> None:
    first = play(sandbox, user=VISITOR, text="hello")
    play(sandbox, user=VISITOR, sticker=True)
    play(sandbox, user=VISITOR, voice=True)
    play(sandbox, user=VISITOR, edit={"message_id": first["message_id"], "text": "hello!"})
    _, updates = bot_call(sandbox, "getUpdates")
    shapes = [sorted(set(u) - {"update_id"}) for u in updates["result"]]
    assert shapes == [["message"], ["message"], ["message"], ["edited_message"]]
    assert "sticker" in updates["result"][1]["message"]
    assert "voice" in updates["result"][2]["message"]
    assert updates["result"][3]["edited_message"]["text"] == "hello!"


def test_injected_429_has_the_bot_api_shape_and_falls_on_the_named_methods(
    sandbox: Server,
) -> None:
    play(sandbox, user=VISITOR, text="hi")
    sandbox_call(
        sandbox,
        "POST",
        "/_sandbox/telegram/faults",
        {"rate": 1.0, "kinds": ["429"], "methods": ["sendMessage"], "retry_after_ms": 2000},
    )
    assert bot_call(sandbox, "sendMessage", {"chat_id": VISITOR["id"], "text": "x"}) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 2",
            "parameters": {"retry_after": 2},
        },
    )
    assert bot_call(sandbox, "getMe")[0] == 200
    stats = sandbox_call(sandbox, "GET", "/_sandbox/telegram/stats")
    assert stats["requests"]["POST /telegram/bot{token}/sendMessage"] == 1
    sandbox_call(sandbox, "POST", "/_sandbox/reset", {})
    assert sandbox_call(sandbox, "GET", "/_sandbox/telegram/faults")["rate"] == 0.0


def test_send_rates_are_counted_per_chat_and_overall(sandbox: Server) -> None:
    play(sandbox, user=VISITOR, text="hi")
    play(sandbox, user={"id": 1002}, text="hi")
    for chat_id in (1001, 1001, 1001, 1002):
        assert bot_call(sandbox, "sendMessage", {"chat_id": chat_id, "text": "x"})[0] == 200
    rates = sent(sandbox)["rates"]["messages"]
    assert rates["total"] == 4
    assert rates["max_per_chat_1s"] == 3
    assert rates["max_overall_1s"] == 4


def test_the_token_is_not_logged(sandbox: Server) -> None:
    bot_call(sandbox, "getMe")
    log = sandbox_call(sandbox, "GET", "/_sandbox/telegram/requests")
    stats = sandbox_call(sandbox, "GET", "/_sandbox/telegram/stats")
    assert TOKEN not in json.dumps(log) + json.dumps(stats)


def test_the_page_is_served_with_a_strict_csp_to_loopback_only(sandbox: Server) -> None:
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/telegram/", timeout=10) as response:
        csp = response.headers["Content-Security-Policy"]
        page = response.read().decode()
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert '<script src="/_sandbox/telegram/page.js" defer></script>' in page
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/telegram/page.js", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/javascript")
        assert "innerHTML" not in r.read().decode()
    request = urllib.request.Request(
        f"{sandbox.url}/_sandbox/telegram/", headers={"Host": "evil.example"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 403


def test_aiogram_talks_to_the_fake(sandbox: Server) -> None:
    """The real client library, with its form encoding, against the fake."""
    import asyncio

    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    play(sandbox, user=VISITOR, text="hi")

    async def run() -> None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(f"{sandbox.url}/telegram"))
        async with Bot(TOKEN, session=session) as bot:
            assert (await bot.get_me()).username == "kbsync_sandbox_bot"
            markup = InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="👍", callback_data="up")]]
            )
            message = await bot.send_message(1001, "<b>hi</b>", parse_mode="HTML",
                                             reply_markup=markup)  # fmt: skip
            assert message.text == "hi"
            assert await bot.send_message_draft(chat_id=1001, draft_id=3, text="…") is True
            with pytest.raises(TelegramBadRequest, match="chat not found"):
                await bot.send_message(5, "x")
            sandbox_call(
                sandbox,
                "POST",
                "/_sandbox/telegram/faults",
                {"rate": 1.0, "kinds": ["429"], "retry_after_ms": 3000},
            )
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(1001, "x")
            assert caught.value.retry_after == 3

    asyncio.run(run())


def test_playing_a_user_refuses_bad_bodies_in_the_control_shape(sandbox: Server) -> None:
    def refused(body: dict[str, Any]) -> str:
        request = urllib.request.Request(
            f"{sandbox.url}/_sandbox/telegram/updates",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 400
        message: str = json.loads(caught.value.read())["error"]["message"]
        return message

    assert refused({"text": "hi"}) == "'user' must be an object with an integer 'id'."
    assert refused({"user": VISITOR, "text": ""}) == "'text' must be a non-empty string."
    assert refused({"user": VISITOR, "text": "a", "sticker": True}).startswith(
        "Give exactly one of"
    )
    assert refused({"user": VISITOR, "chat": -5, "text": "hi"}) == (
        "No chat -5; create it with POST /_sandbox/telegram/chats."
    )
    assert sent(sandbox)["sent"] == []
