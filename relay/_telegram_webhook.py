"""``POST /telegram/webhook``: Telegram's deliveries to the bot, when ``kbsync`` plugs one in.

The relay knows the bot only as a ``TelegramChannel`` (``kbsync`` builds it from the
``telegram`` package; the two channels never import each other). A delivery without
``X-Telegram-Bot-Api-Secret-Token: $TELEGRAM_WEBHOOK_SECRET`` is 403 and nothing is
processed; a good one is answered 200 at once and processed in the background, so
Telegram never waits on an answer (and never retries one that is merely slow).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, Protocol

from litestar import Request, Response, post

from answer import DocumentCache, Engine
from handoff import Desk
from kbcore.kb import AssistantSpec
from relay._admission import _read_body
from relay._errors import refuse

MAX_UPDATE_BYTES = 1 << 20
SECRET_HEADER = "x-telegram-bot-api-secret-token"
_APP_KEY = "relay_telegram"

Answering = tuple[AssistantSpec, str, Engine, DocumentCache]


class TelegramChannel(Protocol):
    """The bot as the relay sees it."""

    @property
    def webhook_secret(self) -> str | None: ...

    @property
    def desk(self) -> Desk | None: ...

    def feed(self, body: bytes) -> bool:
        """Take one delivery (processed in the background); ``False``: not an update."""
        ...

    async def start(self, answering: Callable[[], Answering | None]) -> None: ...

    async def stop(self) -> None: ...


def install(app_state: Any, channel: TelegramChannel | None) -> None:
    app_state[_APP_KEY] = channel


def channel_of(request: Request[Any, Any, Any]) -> TelegramChannel | None:
    channel: TelegramChannel | None = request.app.state.get(_APP_KEY)
    return channel


@post("/telegram/webhook", status_code=200, summary="Telegram updates (secret header required)")
async def telegram_webhook(request: Request[Any, Any, Any]) -> Response[Any]:
    channel = channel_of(request)
    if channel is None:
        return refuse(404, "not_found", "No Telegram bot is configured on this relay.")
    expected = channel.webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return refuse(
            403,
            "forbidden",
            "This webhook takes Telegram's deliveries only (the secret header is missing "
            "or wrong).",
        )
    body = await _read_body(request, MAX_UPDATE_BYTES)
    if body is None:
        return refuse(413, "body_too_large", f"An update is at most {MAX_UPDATE_BYTES} bytes.")
    if not channel.feed(body):
        return refuse(400, "invalid_body", "The body is not a Telegram update (a JSON object).")
    return Response({"ok": True}, status_code=200, media_type="application/json")
