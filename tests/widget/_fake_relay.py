"""A scripted stand-in for the relay: serves the widget and plays canned SSE byte streams.

The real relay never splits an event across writes or uses CRLF; this server does both on
purpose, so the widget's SSE parser is exercised on what a proxy may legitimately deliver.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WIDGET = Path(__file__).resolve().parents[2] / "relay" / "widget" / "widget.js"


def event(name: str, data: object, eol: str = "\n") -> str:
    return f"event: {name}{eol}data: {json.dumps(data)}{eol}{eol}"


@dataclass
class Reply:
    """One answer to POST /api/chat: status, headers and body pieces written with pauses."""

    status: int = 200
    chunks: list[bytes] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.02
    code: str = "fake"


@dataclass
class FakeRelay:
    url: str
    pages: dict[str, str] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    bodies: list[dict[str, object]] = field(default_factory=list)
    json_pages: dict[str, object] = field(default_factory=dict)  # GET path → JSON body
    feedback: list[dict[str, object]] = field(default_factory=list)  # POST /api/feedback


def _handler(state: FakeRelay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/widget.js":
                self._send(200, "text/javascript", WIDGET.read_bytes())
            elif self.path in state.pages:
                self._send(200, "text/html; charset=utf-8", state.pages[self.path].encode())
            elif self.path in state.json_pages:
                self._send(
                    200, "application/json", json.dumps(state.json_pages[self.path]).encode()
                )
            else:
                self._send(404, "text/plain", b"not found")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.endswith("/feedback"):
                state.feedback.append(body)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            state.bodies.append(body)
            reply = state.replies.pop(0) if state.replies else Reply(status=500)
            if reply.status != 200:
                body = json.dumps({"error": {"code": reply.code, "message": "scripted"}}).encode()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in reply.chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                    time.sleep(reply.pause)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

    return Handler


@contextmanager
def fake_relay() -> Iterator[FakeRelay]:
    state = FakeRelay(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
