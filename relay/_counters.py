"""Where the per-client counts live: this process's memory, or Redis shared by replicas.

Two kinds of count. A *window* count (messages, tokens) belongs to a fixed window
aligned to the clock (``minute`` windows start on the minute) and is forgotten when the
window ends. A *stream* count is the number of answers a client has open right now.

In memory, a window store holds only the current window's entries for each client and
drops expired ones as it goes, so its size follows the number of clients seen in one
window, capped at ``max_entries`` (the oldest entry goes first). In Redis, window
counts are ``INCRBY`` + ``EXPIRE`` in one Lua script (atomic across replicas), and open
streams are a sorted set of lease ids scored by start time, so a replica that dies
holding a stream frees it after ``STREAM_LEASE_SECONDS`` instead of never.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

Clock = Callable[[], float]

MAX_ENTRIES = 100_000
STREAM_LEASE_SECONDS = 15 * 60


class Window(Protocol):
    """Counts per client key in the current window."""

    async def add(self, key: str, amount: int) -> tuple[int, int]:
        """Add ``amount``; the new count and the whole seconds until the window ends."""
        ...

    async def count(self, key: str) -> tuple[int, int]:
        """The count and the whole seconds until the window ends."""
        ...


class Streams(Protocol):
    """Open streams per client key."""

    async def acquire(self, key: str, lease: str, limit: int) -> bool: ...

    async def release(self, key: str, lease: str) -> None: ...


def _window(seconds: int, now: float) -> tuple[int, int]:
    """The window's index and the whole seconds (at least 1) until it ends."""
    index = int(now // seconds)
    return index, max(1, int((index + 1) * seconds - now + 0.999))


class MemoryWindow:
    """One window length in this process. Entries are kept in the order they were created,
    which (one window length, clock-aligned) is also the order they expire in: dropping
    the expired ones is a walk from the front that stops at the first live one."""

    def __init__(
        self, seconds: int, *, max_entries: int = MAX_ENTRIES, clock: Clock = time.time
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def __len__(self) -> int:
        return len(self._entries)

    def _current(self) -> tuple[int, int]:
        index, left = _window(self.seconds, self._clock())
        entries = self._entries
        while entries:
            oldest = next(iter(entries))
            if entries[oldest][0] >= index:
                break
            del entries[oldest]
        return index, left

    async def add(self, key: str, amount: int) -> tuple[int, int]:
        index, left = self._current()
        entry = self._entries.get(key)
        if entry is not None:
            total = entry[1] + amount
            self._entries[key] = (index, total)
            return total, left
        while len(self._entries) >= self.max_entries:  # under a flood: forget the oldest
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (index, amount)
        return amount, left

    async def count(self, key: str) -> tuple[int, int]:
        _, left = self._current()
        entry = self._entries.get(key)
        return (entry[1] if entry is not None else 0), left


class MemoryStreams:
    """Open streams per client in this process; a client with none has no entry."""

    def __init__(self) -> None:
        self._open: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._open)

    async def acquire(self, key: str, lease: str, limit: int) -> bool:
        leases = self._open.setdefault(key, set())
        if len(leases) >= limit:
            return False
        leases.add(lease)
        return True

    async def release(self, key: str, lease: str) -> None:
        leases = self._open.get(key)
        if leases is not None:
            leases.discard(lease)
            if not leases:
                del self._open[key]


# KEYS[1] the window's key; ARGV[1] the amount; ARGV[2] its time to live in seconds.
_ADD = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return total
"""

# KEYS[1] the client's set; ARGV: lease id, now, stale-before, limit, time to live.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisWindow:
    def __init__(
        self, redis: Redis, prefix: str, seconds: int, *, clock: Clock = time.time
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.seconds = seconds
        self._clock = clock
        self._add = redis.register_script(_ADD)

    def _key(self, key: str) -> tuple[str, int]:
        index, left = _window(self.seconds, self._clock())
        return f"{self._prefix}:{key}:{index}", left

    async def add(self, key: str, amount: int) -> tuple[int, int]:
        name, left = self._key(key)
        total = await self._add(keys=[name], args=[amount, left + 1])
        return int(total), left

    async def count(self, key: str) -> tuple[int, int]:
        name, left = self._key(key)
        value = await self._redis.get(name)
        return int(value or 0), left


class RedisStreams:
    def __init__(self, redis: Redis, prefix: str, *, clock: Clock = time.time) -> None:
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._acquire = redis.register_script(_ACQUIRE)

    async def acquire(self, key: str, lease: str, limit: int) -> bool:
        now = self._clock()
        args: list[str | float] = [
            lease,
            now,
            now - STREAM_LEASE_SECONDS,
            limit,
            STREAM_LEASE_SECONDS,
        ]
        return bool(await self._acquire(keys=[f"{self._prefix}:{key}"], args=args))

    async def release(self, key: str, lease: str) -> None:
        await self._redis.zrem(f"{self._prefix}:{key}", lease)
