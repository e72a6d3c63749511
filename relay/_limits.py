"""Who a client is, and what each client may use: messages per window, answers open at
once, tokens per window; and the relay's own cap on open answers.

A client is its IP address, or its /64 for IPv6: one subscriber line usually gets a
whole /64, so keying by address would hand one visitor 2**64 buckets. Behind a trusted
proxy the address is the nearest untrusted ``X-Forwarded-For`` hop.

The counts live in this process (``relay._counters``' memory stores, bounded) or, with
``REDIS_URL``, in Redis, so that every replica sees one limit per client. The limiter is
driven by the chat handler, after the checks of shape and origin, so a malformed request
is told what is wrong and does not use up the client's allowance.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from redis.exceptions import RedisError

from relay import _log
from relay._config import Config, Network
from relay._counters import (
    Clock,
    MemoryStreams,
    MemoryWindow,
    RedisStreams,
    RedisWindow,
    Streams,
    Window,
)
from relay._errors import refuse

_REDIS_PREFIX = "kbsync-relay"
_REDIS_RETRY_AFTER = 5


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: Request[Any, Any, Any], trusted: tuple[Network, ...]) -> str:
    """The peer address; behind a trusted proxy, the nearest untrusted ``X-Forwarded-For`` hop."""
    peer = request.client.host if request.client else "unknown"
    if not trusted:
        return peer

    def is_trusted(text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in net for net in trusted)

    if not is_trusted(peer):
        return peer
    hops = [h.strip() for v in request.headers.getall("x-forwarded-for", []) for h in v.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not is_trusted(hop):
            return hop if _address(hop) is not None else peer
    return peer


def client_key(ip: str) -> str:
    """The key a client's counts are kept under: its IPv4 address (embedded ones too:
    IPv4-mapped, 6to4, Teredo), or its IPv6 /64."""
    address = _address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
            return str(address.ipv4_mapped)
        # 6to4 (2002::/16) and Teredo (2001::/32) carry their holder's IPv4 address: one
        # IPv4 holder would otherwise get 65,536 /64s of 6to4, or a fresh Teredo port each.
        if address.sixtofour is not None:
            return str(address.sixtofour)
        if address.teredo is not None:
            return str(address.teredo[1])
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return ip


class StreamSlots:
    """At most ``limit`` chat streams open in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    def acquire(self) -> bool:
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open -= 1


@dataclass(frozen=True)
class Refused:
    """A limit said no: the relay answers with this status, code and sentence."""

    status: int
    code: str
    message: str
    retry_after: int

    def response(self) -> Response[Any]:
        return refuse(self.status, self.code, self.message, retry_after=self.retry_after)


class Lease:
    """One open answer of one client: a slot of the process and one of the client's, and
    the tokens ``reserved`` from the client's budget when it was admitted. ``end`` gives
    the slots back (once) and settles the budget: an answer that finished is charged its
    usage (the reservation's surplus given back, or the shortfall added); one abandoned
    or cut off before its usage was known (``None``) keeps the reservation charged."""

    def __init__(self, limits: Limits, client: str, lease_id: str, reserved: int = 0) -> None:
        self._limits = limits
        self.client = client
        self._id = lease_id
        self.reserved = reserved
        self._ended = False

    def end(self, spent: int | None = 0) -> None:
        """``spent``: the answer's input + output tokens; ``None`` when unknown."""
        if self._ended:
            return
        self._ended = True
        self._limits.slots.release()
        settle = 0 if spent is None else spent - self.reserved
        self._limits.spawn(self._limits.finish(self.client, self._id, settle))


class Limits:
    """Every per-client limit of one relay process, over memory or Redis counters."""

    def __init__(self, config: Config, *, clock: Clock = time.time) -> None:
        self.config = config
        self.slots = StreamSlots(config.max_concurrent_streams)
        self._tasks: set[asyncio.Task[None]] = set()
        self._redis: Any = None
        self.rate: Window | None = None
        self.budget: Window | None = None
        self.streams: Streams
        rate, budget = config.rate_limit, config.token_budget
        if config.redis_url:
            from redis.asyncio import Redis

            self._redis = redis = Redis.from_url(config.redis_url)
            if rate is not None:
                self.rate = RedisWindow(redis, f"{_REDIS_PREFIX}:rate", rate.seconds, clock=clock)
            if budget is not None:
                self.budget = RedisWindow(
                    redis, f"{_REDIS_PREFIX}:tokens", budget.seconds, clock=clock
                )
            self.streams = RedisStreams(redis, f"{_REDIS_PREFIX}:streams", clock=clock)
        else:
            if rate is not None:
                self.rate = MemoryWindow(rate.seconds, clock=clock)
            if budget is not None:
                self.budget = MemoryWindow(budget.seconds, clock=clock)
            self.streams = MemoryStreams()

    def client(self, request: Request[Any, Any, Any]) -> str:
        return client_key(client_ip(request, self.config.trusted_proxies))

    async def check(self, client: str) -> Refused | None:
        """Count one message against the rate limit; refuse when over it or the budget."""
        try:
            return await self._check(client)
        except (RedisError, OSError) as exc:  # Redis down: refuse rather than let all in
            return self._store_failed(exc)

    async def _check(self, client: str) -> Refused | None:
        config = self.config
        if self.rate is not None and config.rate_limit is not None:
            count, left = await self.rate.add(client, 1)
            if count > config.rate_limit.count:
                return Refused(
                    429,
                    "rate_limited",
                    f"Too many messages; the limit is {config.rate_limit}. Try again later.",
                    left,
                )
        if self.budget is not None and config.token_budget is not None:
            used, left = await self.budget.count(client)
            if used >= config.token_budget.count:
                return Refused(
                    429,
                    "budget_exhausted",
                    f"This network has used its {config.token_budget} tokens; try again "
                    f"in {_duration(left)}.",
                    left,
                )
        return None

    async def open(self, client: str, reserve: int = 0) -> Lease | Refused:
        """A stream slot of the client's and one of this process's, with ``reserve``
        tokens charged to the client's budget at once (settled by ``Lease.end``: a client
        who leaves before the answer's usage arrives has paid for it), or why not."""
        lease_id = secrets.token_hex(8)
        limit = self.config.max_streams_per_client
        try:
            acquired = await self.streams.acquire(client, lease_id, limit)
        except (RedisError, OSError) as exc:
            return self._store_failed(exc)
        if not acquired:
            return Refused(
                429,
                "too_many_streams",
                f"This network already has {limit} answers open; wait for one to finish.",
                2,
            )
        if not self.slots.acquire():
            await self.finish(client, lease_id, 0)
            return Refused(
                503, "at_capacity", "The assistant is answering too many people; try again.", 2
            )
        budget = self.budget
        reserved = reserve if budget is not None else 0
        if budget is not None and reserved:
            try:
                await budget.add(client, reserved)
            except (RedisError, OSError) as exc:
                self.slots.release()
                await self.finish(client, lease_id, 0)
                return self._store_failed(exc)
        return Lease(self, client, lease_id, reserved)

    async def finish(self, client: str, lease_id: str, tokens: int) -> None:
        """Release the client's stream slot; add ``tokens`` (negative: give back) to its
        budget."""
        try:
            await self.streams.release(client, lease_id)
            if self.budget is not None and tokens:
                await self.budget.add(client, tokens)
        except (RedisError, OSError) as exc:
            _log.event(logging.ERROR, "limits_store_failed", error=f"{type(exc).__name__}: {exc}")

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` soon; kept referenced until done, awaited at shutdown."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        if self._redis is not None:
            await self._redis.aclose()

    def _store_failed(self, exc: RedisError | OSError) -> Refused:
        _log.event(logging.ERROR, "limits_store_failed", error=f"{type(exc).__name__}: {exc}")
        return Refused(
            503,
            "not_ready",
            "The relay cannot reach its shared limits store; try again.",
            _REDIS_RETRY_AFTER,
        )


def _duration(seconds: int) -> str:
    if seconds >= 3600:
        return f"{round(seconds / 3600)} h"
    if seconds >= 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds} s"
