"""Issue 12 item 8: a web page must not drive the sandbox's control routes.

A browser lets any page send a "simple" cross-origin POST (``text/plain``, no preflight);
a DNS-rebinding page reaches the sandbox under its own host name. The control routes
therefore take ``application/json`` only and answer only loopback ``Host``/``Origin``."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from testing.sandbox import sandbox_call
from testing.servers import Server
from tests._spec import assert_valid

HOSTILE = json.dumps({"rate": 1.0, "kinds": ["500"], "seed": 1})


def _send(
    server: Server, method: str, path: str, body: str | None, headers: dict[str, str]
) -> tuple[int, Any]:
    """A raw request, so that ``Host`` and ``Origin`` are exactly what a browser sends."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def _faults(server: Server) -> Any:
    return sandbox_call(server, "GET", "/_sandbox/faults")


def test_control_routes_refuse_foreign_pages(sandbox: Server) -> None:
    loopback = f"127.0.0.1:{sandbox.port}"
    # what a page on https://evil.example can send without a preflight
    status, body = _send(
        sandbox,
        "POST",
        "/_sandbox/faults",
        HOSTILE,
        {"Host": loopback, "Origin": "https://evil.example", "Content-Type": "text/plain"},
    )
    assert status == 403  # the foreign Origin is refused before the media type is looked at
    assert_valid(body, "ErrorResponse")
    assert _faults(sandbox)["rate"] == 0
    # JSON from a foreign page (it would need a preflight, but refuse it all the same)
    status, body = _send(
        sandbox,
        "POST",
        "/_sandbox/reset",
        "{}",
        {"Host": loopback, "Origin": "http://evil.example", "Content-Type": "application/json"},
    )
    assert status == 403
    assert "loopback" in body["error"]["message"]
    # DNS rebinding: the page's own host name points at 127.0.0.1
    status, _ = _send(
        sandbox,
        "POST",
        "/_sandbox/faults",
        HOSTILE,
        {"Host": f"evil.example:{sandbox.port}", "Content-Type": "application/json"},
    )
    assert status == 403
    status, _ = _send(sandbox, "GET", "/_sandbox/requests", None, {"Host": "evil.example"})
    assert status == 403
    assert _faults(sandbox)["rate"] == 0


def test_control_routes_take_json_only(sandbox: Server) -> None:
    loopback = f"127.0.0.1:{sandbox.port}"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Host": loopback}
        if content_type is not None:
            headers["Content-Type"] = content_type
        status, body = _send(sandbox, "POST", "/_sandbox/faults", HOSTILE, headers)
        assert status == 415, content_type
        assert "application/json" in body["error"]["message"]
    assert _faults(sandbox)["rate"] == 0


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "127.0.0.2:{port}", "localhost"],
)
@pytest.mark.parametrize("origin", [None, "http://localhost:3000", "http://127.0.0.1:{port}"])
def test_loopback_pages_and_tools_are_answered(
    sandbox: Server, host: str, origin: str | None
) -> None:
    headers = {"Host": host.format(port=sandbox.port), "Content-Type": "application/json"}
    if origin is not None:
        headers["Origin"] = origin.format(port=sandbox.port)
    status, body = _send(
        sandbox, "POST", "/_sandbox/faults", json.dumps({"latency_ms": 1}), headers
    )
    assert (status, body["latency_ms"]) == (200, 1)
    status, _ = _send(sandbox, "GET", "/_sandbox/stats", None, headers)
    assert status == 200
