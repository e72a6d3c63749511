"""Where the per-client counts live: this process's memory, or Redis shared by replicas.

Two kinds of count. A *window* count (messages, tokens) is a sliding window, estimated
from two clock-aligned fixed windows: the current one's count plus the previous one's,
weighted by how much of it still lies inside the last ``seconds`` (``minute`` windows
start on the minute). A fixed window alone would let twice the limit through across a
boundary (the limit at :59, the limit again at :00); the estimate does not, and needs
only two numbers per client. A *stream* count is the number of answers a client has
open right now.

In memory, a window store holds each client's entry for two windows and drops expired
ones as it goes, so its size follows the number of clients seen in two windows, capped
at ``max_entries`` (the oldest entry goes first). In Redis, a window's count is
``INCRBY`` + ``EXPIRE`` in one Lua script (atomic across replicas) that also reads the
previous window's, and open streams are a sorted set of lease ids scored by start time,
so a replica that dies holding a stream frees it after ``STREAM_LEASE_SECONDS`` instead
of never.
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
    """Counts per client key over the last ``seconds`` (estimated, see above)."""

    async def add(self, key: str, amount: int) -> tuple[float, int]:
        """Add ``amount``; the new count and the whole seconds until the window ends."""
        ...

    async def count(self, key: str) -> tuple[float, int]:
        """The count and the whole seconds until the window ends."""
        ...


class Streams(Protocol):
    """Open streams per client key."""

    async def acquire(self, key: str, lease: str, limit: int) -> bool: ...

    async def release(self, key: str, lease: str) -> None: ...


def _window(seconds: int, now: float) -> tuple[int, float, int]:
    """The window's index, the share of the previous window still inside the last
    ``seconds``, and the whole seconds (at least 1) until the window ends."""
    index = int(now // seconds)
    weight = 1.0 - (now - index * seconds) / seconds
    return index, weight, max(1, int((index + 1) * seconds - now + 0.999))


def _estimate(current: int, previous: int, weight: float) -> float:
    return current + previous * weight


class MemoryWindow:
    """One window length in this process. Entries are kept in the order of their last
    window change (an entry moving to a new window moves to the end), which is also the
    order they expire in: dropping the expired ones is a walk from the front that stops
    at the first live one."""

    def __init__(
        self, seconds: int, *, max_entries: int = MAX_ENTRIES, clock: Clock = time.time
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        # key -> (window index, its count, the previous window's count)
        self._entries: dict[str, tuple[int, int, int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _current(self) -> tuple[int, float, int]:
        index, weight, left = _window(self.seconds, self._clock())
        entries = self._entries
        dropped = 0
        while entries:
            oldest = next(iter(entries))
            if entries[oldest][0] >= index - 1:
                break
            del entries[oldest]  # nothing of it lies in the last two windows
            dropped += 1
        if dropped and dropped >= len(entries):
            # A dict never shrinks on delete, and iterating it walks the deleted slots:
            # after a flood has expired, copy what is left so memory and time come back.
            self._entries = dict(entries)
        return index, weight, left

    def _counts(self, key: str, index: int) -> tuple[int, int]:
        """The client's (current, previous) counts as of window ``index``."""
        entry = self._entries.get(key)
        if entry is None:
            return 0, 0
        if entry[0] == index:
            return entry[1], entry[2]
        return (0, entry[1]) if entry[0] == index - 1 else (0, 0)

    async def add(self, key: str, amount: int) -> tuple[float, int]:
        index, weight, left = self._current()
        current, previous = self._counts(key, index)
        entry = self._entries.pop(key, None)
        if entry is None:
            while len(self._entries) >= self.max_entries:  # under a flood: forget the oldest
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (index, current + amount, previous)
        return _estimate(current + amount, previous, weight), left

    async def count(self, key: str) -> tuple[float, int]:
        index, weight, left = self._current()
        current, previous = self._counts(key, index)
        return _estimate(current, previous, weight), left


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


# KEYS[1] the window's key, KEYS[2] the previous window's; ARGV[1] the amount; ARGV[2]
# the key's time to live in seconds (it must outlive the next window, which reads it).
_ADD = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return {total, tonumber(redis.call('GET', KEYS[2]) or '0')}
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

    def _keys(self, key: str) -> tuple[list[str], float, int]:
        index, weight, left = _window(self.seconds, self._clock())
        names = [f"{self._prefix}:{key}:{index}", f"{self._prefix}:{key}:{index - 1}"]
        return names, weight, left

    async def add(self, key: str, amount: int) -> tuple[float, int]:
        names, weight, left = self._keys(key)
        total, previous = await self._add(keys=names, args=[amount, left + self.seconds + 1])
        return _estimate(int(total), int(previous), weight), left

    async def count(self, key: str) -> tuple[float, int]:
        names, weight, left = self._keys(key)
        current, previous = await self._redis.mget(names)
        return _estimate(int(current or 0), int(previous or 0), weight), left


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
