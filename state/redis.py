"""Redis, for several relay replicas sharing one state (``REDIS_URL``).

Keys are ``kbsync:<ns>:<key>``; lists are Redis lists whose index + 1 is the item
number. Read-modify-write steps run as Lua scripts, so they are atomic across replicas.
"""

from __future__ import annotations

import json
from typing import Any

import redis as redis_lib

from state._base import State, StateError

_ADVANCE = """
local stored = redis.call('GET', KEYS[1])
if stored and tonumber(ARGV[1]) < tonumber(stored) then return 0 end
if ARGV[2] == '' then redis.call('SET', KEYS[1], ARGV[1] + 1)
else redis.call('SET', KEYS[1], ARGV[1] + 1, 'PX', ARGV[2]) end
return 1
"""

_INCR = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return total
"""

_APPEND = """
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
"""


def _ms(ttl: float | None) -> str:
    return "" if ttl is None else str(max(1, int(ttl * 1000)))


class RedisState(State):
    def __init__(self, url: str, *, prefix: str = "kbsync") -> None:
        try:
            self._redis = redis_lib.Redis.from_url(url, socket_timeout=5)
            self._redis.ping()
        except (redis_lib.RedisError, ValueError) as exc:
            raise StateError(
                f"Redis at REDIS_URL cannot be reached ({type(exc).__name__}); "
                "check the URL and that the server is running."
            ) from exc
        self._prefix = prefix
        self._advance = self._redis.register_script(_ADVANCE)
        self._incr = self._redis.register_script(_INCR)
        self._append = self._redis.register_script(_APPEND)

    def _key(self, ns: str, key: str) -> str:
        return f"{self._prefix}:{ns}:{key}"

    def get(self, ns: str, key: str) -> Any | None:
        raw = self._redis.get(self._key(ns, key))
        return None if raw is None else json.loads(raw)

    def put(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        self._redis.set(self._key(ns, key), json.dumps(value), px=_px(ttl))

    def put_new(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> bool:
        done = self._redis.set(self._key(ns, key), json.dumps(value), px=_px(ttl), nx=True)
        return bool(done)

    def delete(self, ns: str, key: str) -> None:
        self._redis.delete(self._key(ns, key), self._key(ns, key) + ":items")

    def incr(self, ns: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        return int(self._incr(keys=[self._key(ns, key)], args=[by, _ms(ttl)]))

    def advance(self, ns: str, key: str, seen: int, *, ttl: float | None = None) -> bool:
        return bool(self._advance(keys=[self._key(ns, key)], args=[seen, _ms(ttl)]))

    def append(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> int:
        items = self._key(ns, key) + ":items"
        return int(self._append(keys=[items], args=[json.dumps(value), _ms(ttl)]))

    def since(self, ns: str, key: str, after: int) -> list[tuple[int, Any]]:
        raw = self._redis.lrange(self._key(ns, key) + ":items", max(after, 0), -1)
        start = max(after, 0) + 1
        return [(start + i, json.loads(item)) for i, item in enumerate(raw)]

    def close(self) -> None:
        self._redis.close()


def _px(ttl: float | None) -> int | None:
    return None if ttl is None else max(1, int(ttl * 1000))
