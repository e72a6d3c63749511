"""Drive the relay's ASGI app directly: thousands of requests a second, any peer address.

Litestar's test client always reports its peer as ``testclient``; the limiter keys on
the peer's address, so the tests that need many or particular addresses call the app
as a server would, with ``scope["client"]`` set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from litestar import Litestar


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: Litestar,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    peer: str = "127.0.0.1",
) -> Reply:
    all_headers = {"host": "relay.test", **(headers or {})}
    if body:
        all_headers.setdefault("content-type", "application/json")
        all_headers["content-length"] = str(len(body))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in all_headers.items()],
        "client": (peer, 40000),
        "server": ("relay.test", 80),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0
    reply_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for key, value in message.get("headers", []):
                name = key.decode().lower()
                # Repeated headers joined, so a test sees a value sent twice.
                if name in reply_headers:
                    reply_headers[name] += ", " + value.decode()
                else:
                    reply_headers[name] = value.decode()
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)  # type: ignore[arg-type]
    return Reply(status, reply_headers, b"".join(chunks))


def chat_body(message: str = "hello", conversation: str | None = None) -> bytes:
    data: dict[str, Any] = {"message": message}
    if conversation is not None:
        data["conversation"] = conversation
    return json.dumps(data).encode()
