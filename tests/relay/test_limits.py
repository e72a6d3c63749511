"""Client addresses behind trusted proxies, client keys, the counters and the stream slots."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import tracemalloc
from typing import Any

import pytest
from litestar import Request

from relay._counters import MemoryStreams, MemoryWindow
from relay._limits import StreamSlots, client_ip, client_key
from testing.clock import FakeClock

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


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("::1", "::/64"),
        ("unknown", "unknown"),
    ],
)
def test_client_key(ip: str, key: str) -> None:
    assert client_key(ip) == key


def test_window_counts_the_last_window_length() -> None:
    clock = FakeClock(120.0)  # a minute window starts on the minute
    window = MemoryWindow(60, clock=clock)
    assert asyncio.run(window.add("a", 1)) == (1, 60)
    clock.now = 150.5
    assert asyncio.run(window.add("a", 2)) == (3, 30)
    assert asyncio.run(window.count("a")) == (3, 30)
    assert asyncio.run(window.count("b")) == (0, 30)
    clock.now = 180.0  # a new window: the last one still counts whole
    assert asyncio.run(window.count("a")) == (3, 60)
    clock.now = 210.0  # half of it lies in the last minute
    assert asyncio.run(window.count("a")) == (1.5, 30)
    assert asyncio.run(window.add("a", 1)) == (2.5, 30)
    clock.now = 240.0
    assert asyncio.run(window.count("a")) == (1, 60)
    clock.now = 300.0
    assert asyncio.run(window.count("a")) == (0, 60)


def test_no_double_limit_across_a_window_boundary() -> None:
    """A fixed window would allow the limit at :59 and again at :00."""
    clock = FakeClock(179.0)
    window = MemoryWindow(60, clock=clock)
    for _ in range(5):
        asyncio.run(window.add("a", 1))
    clock.now = 180.5
    count, _ = asyncio.run(window.add("a", 1))
    assert count > 5


def test_window_drops_expired_entries() -> None:
    clock = FakeClock(1_000_000.0)
    window = MemoryWindow(1, clock=clock)

    async def flood() -> None:
        for n in range(30_000):
            await window.add(f"client-{n}", 1)

    asyncio.run(flood())
    assert len(window) == 30_000
    clock.now += 1  # the next window still weighs the last one
    asyncio.run(window.add("late", 1))
    assert len(window) == 30_001
    clock.now += 1
    asyncio.run(window.add("later", 1))
    assert len(window) == 2


def test_window_memory_is_capped() -> None:
    window = MemoryWindow(3600, max_entries=1000, clock=FakeClock(1_000_000.0))

    async def flood() -> None:
        for n in range(5000):
            await window.add(f"client-{n}", 1)

    asyncio.run(flood())
    assert len(window) == 1000
    assert asyncio.run(window.count("client-4999"))[0] == 1  # the newest are kept
    assert asyncio.run(window.count("client-0"))[0] == 0


def test_a_flood_in_one_instant_gives_its_memory_back() -> None:
    """30,000 clients in the same second, then two windows later one more: the counters'
    memory is back to almost nothing (a dict does not shrink when entries are deleted)."""
    clock = FakeClock(1_000_000.0)
    window = MemoryWindow(1, clock=clock)

    async def flood() -> None:
        for n in range(30_000):
            await window.add(f"client-{n}", 1)

    asyncio.run(window.add("warm", 1))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(flood())
        clock.now += 2.1
        asyncio.run(window.add("after", 1))
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(window) == 1
    assert held < 64 * 1024, f"{held / 1e6:.2f} MB still held"


def test_streams_per_client() -> None:
    streams = MemoryStreams()

    async def scenario() -> None:
        assert await streams.acquire("a", "1", 2)
        assert await streams.acquire("a", "2", 2)
        assert not await streams.acquire("a", "3", 2)
        assert await streams.acquire("b", "4", 2)
        await streams.release("a", "1")
        await streams.release("a", "1")  # twice: no effect
        assert await streams.acquire("a", "5", 2)
        for key, lease in (("a", "2"), ("a", "5"), ("b", "4")):
            await streams.release(key, lease)
        assert len(streams) == 0

    asyncio.run(scenario())
