"""A minimal SSE client for ``POST /api/chat`` that timestamps every line as it arrives."""

from __future__ import annotations

import http.client
import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Item:
    kind: str  # an event name, or "comment" for a ``:`` line
    data: str
    at: float  # time.monotonic() when its last line arrived

    def json(self) -> Any:
        return json.loads(self.data)


def chat(
    base_url: str, message: str, conversation: str | None = None, *, timeout: float = 30.0
) -> Iterator[Item]:
    """Stream the events and comments of one chat turn, until the server ends the stream."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=timeout)
    body: dict[str, str] = {"message": message}
    if conversation is not None:
        body["conversation"] = conversation
    try:
        connection.request(
            "POST",
            url.path.rstrip("/") + "/api/chat",
            body=json.dumps(body),
            # As a browser would: a proxy that compresses the stream must show up here.
            headers={
                "Content-Type": "application/json",
                "Accept": "text/event-stream",
                "Accept-Encoding": "gzip",
            },
        )
        response = connection.getresponse()
        if response.status != 200:
            raise AssertionError(f"POST /api/chat: {response.status} {response.read()!r}")
        event: str | None = None
        data: list[str] = []
        for line in _lines(response):
            text = line.decode().rstrip("\r")
            if text.startswith(":"):
                yield Item("comment", text[1:].strip(), time.monotonic())
            elif text.startswith("event:"):
                event = text.removeprefix("event:").strip()
            elif text.startswith("data:"):
                data.append(text.removeprefix("data:").removeprefix(" "))
            elif text == "" and (event or data):
                yield Item(event or "message", "\n".join(data), time.monotonic())
                event, data = None, []
    finally:
        connection.close()


def _lines(response: http.client.HTTPResponse) -> Iterator[bytes]:
    """Lines as soon as their bytes arrive (gunzipped when the proxy compressed them)."""
    gzipped = response.getheader("Content-Encoding", "").lower() == "gzip"
    inflate = zlib.decompressobj(wbits=31) if gzipped else None
    pending = b""
    while chunk := response.read1(65536):
        pending += inflate.decompress(chunk) if inflate else chunk
        *lines, pending = pending.split(b"\n")
        yield from lines
    if pending:
        yield pending


def answer(base_url: str, message: str, *, timeout: float = 30.0) -> str:
    """The whole answer text of one turn; fails on an ``error`` event or a missing ``done``."""
    text = ""
    for item in chat(base_url, message, timeout=timeout):
        if item.kind == "delta":
            text += item.json()["text"]
        elif item.kind == "error":
            raise AssertionError(f"error event: {item.data}")
        elif item.kind == "done":
            return text
    raise AssertionError("the stream ended without a done event")
