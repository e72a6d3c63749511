"""Who is asking (client IP behind trusted proxies), how often (rate limit), how many at once.

The rate limit is Litestar's ``RateLimitMiddleware`` bookkeeping over a Litestar store
(memory, or Redis so replicas share one limit), driven from the chat handler instead of
sitting in front of it: the chat endpoint checks content type, size, shape and origin
first, so that a malformed request is told what is wrong and does not use up the budget.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store

from relay._config import Network, RateLimit

STORE_NAME = "relay_rate_limit"


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


class RateLimiter:
    """One ``hit`` per chat request; ``None`` when allowed, else seconds until the window resets."""

    def __init__(self, limit: RateLimit, trusted: tuple[Network, ...]) -> None:
        self.config = RateLimitConfig(
            rate_limit=(limit.unit, limit.count),
            identifier_for_request=lambda request: client_ip(request, trusted),
            store=STORE_NAME,
        )
        self._middleware = RateLimitMiddleware(app=_unused_app, config=self.config)

    async def hit(self, request: Request[Any, Any, Any], store: Store) -> int | None:
        middleware = self._middleware
        key = middleware.cache_key_from_request(request)
        async with middleware._lock:
            history = await middleware.retrieve_cached_history(key, store)
            if len(history.history) >= middleware.max_requests:
                return max(1, history.reset - int(time.time()))
            await middleware.set_cached_history(key=key, cache_object=history, store=store)
        return None


async def _unused_app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
    raise RuntimeError("the rate limiter is driven by the chat handler, not as middleware")


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
