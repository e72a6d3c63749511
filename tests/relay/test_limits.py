"""Client addresses behind trusted proxies, and the stream slots."""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar import Request

from relay._limits import StreamSlots, client_ip

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))


def request(peer: str, forwarded: str | None = None) -> Request[Any, Any, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope: Any = {
        "type": "http",
        "method": "POST",
        "path": "/api/chat",
        "headers": headers,
        "client": (peer, 5555),
        "query_string": b"",
    }
    return Request(scope)


def test_peer_without_trusted_proxies() -> None:
    assert client_ip(request("203.0.113.9", "1.2.3.4"), ()) == "203.0.113.9"


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert client_ip(request("203.0.113.9", "1.2.3.4"), TRUSTED) == "203.0.113.9"


def test_forwarded_for_from_a_trusted_proxy() -> None:
    assert client_ip(request("10.1.2.3", "1.2.3.4"), TRUSTED) == "1.2.3.4"
    # A client cannot spoof its address by sending its own X-Forwarded-For first.
    assert client_ip(request("10.1.2.3", "6.6.6.6, 1.2.3.4, 10.9.9.9"), TRUSTED) == "1.2.3.4"
    assert client_ip(request("127.0.0.1", "not-an-ip"), TRUSTED) == "127.0.0.1"
    assert client_ip(request("10.1.2.3"), TRUSTED) == "10.1.2.3"


def test_stream_slots() -> None:
    slots = StreamSlots(2)
    assert slots.acquire()
    assert slots.acquire()
    assert not slots.acquire()
    slots.release()
    assert slots.acquire()
