"""Raw ASGI helpers for the CRM fakes: they must be able to hang and to cut a connection
after acting (a lost reply), which a framework response cannot do."""

from __future__ import annotations

import json
from typing import Any

from litestar.types import Receive, Scope, Send

from sandbox._middleware import ResetConnection, _hang

MAX_BODY = 1 << 20


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body: bytes = message.get("body", b"")  # type: ignore[assignment]
        size += len(body)
        if size <= MAX_BODY:
            chunks.append(body)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """The JSON body, or ``None`` when it is not JSON."""
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def path(scope: Scope | dict[str, Any]) -> str:
    """The request's whole path (a mounted handler's ``scope["path"]`` is only the tail)."""
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))


def headers_of(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def reply(
    send: Send,
    status: int,
    body: Any,
    *,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    all_headers = [
        (b"content-type", media_type.encode()),
        (b"content-length", str(len(raw)).encode()),
    ]
    all_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": raw, "more_body": False})


async def hang(receive: Receive) -> None:
    """No answer until the client gives up (a ``timeout`` fault)."""
    await _hang(receive)


async def cut(send: Send) -> None:
    """Drop the connection after the work is done (a ``drop_reply`` fault: a lost reply)."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise ResetConnection("sandbox fault: the reply was lost")
