"""SQLite, the embedded default: one file, WAL, each write on disk before it returns."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from state._base import State, StateError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires REAL,
    PRIMARY KEY (ns, key)
);
CREATE TABLE IF NOT EXISTS items (
    ns TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, value TEXT NOT NULL,
    expires REAL, PRIMARY KEY (ns, key, n)
);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection in WAL mode whose commits are on disk when they return.

    ``synchronous=FULL`` (not WAL's usual NORMAL) is what makes "committed" survive a
    power cut as well as a killed process. ``isolation_level=None``: callers open their
    transactions with ``BEGIN IMMEDIATE`` so writers queue instead of failing midway.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
    except (OSError, sqlite3.Error) as exc:
        raise StateError(
            f"The state database {target} cannot be opened ({exc}); "
            "set STATE_DB to a writable file path."
        ) from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (on disk when it returns), ``ROLLBACK`` on any
    failure inside: all of it or none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SqliteState(State):
    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self._conn = connect(path)
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._clock = clock
        self.path = Path(path)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, transaction(self._conn) as conn:
            yield conn

    def _expires(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def _live(self, conn: sqlite3.Connection, ns: str, key: str) -> str | None:
        row = conn.execute(
            "SELECT value, expires FROM kv WHERE ns = ? AND key = ?", (ns, key)
        ).fetchone()
        if row is None:
            return None
        if row[1] is not None and row[1] <= self._clock():
            conn.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (ns, key))
            return None
        return str(row[0])

    def _set(
        self, conn: sqlite3.Connection, ns: str, key: str, value: Any, ttl: float | None
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO kv (ns, key, value, expires) VALUES (?, ?, ?, ?)",
            (ns, key, json.dumps(value), self._expires(ttl)),
        )

    def get(self, ns: str, key: str) -> Any | None:
        with self._lock:
            raw = self._live(self._conn, ns, key)
        return None if raw is None else json.loads(raw)

    def put(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> None:
        with self._write() as conn:
            self._set(conn, ns, key, value, ttl)

    def put_new(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> bool:
        with self._write() as conn:
            if self._live(conn, ns, key) is not None:
                return False
            self._set(conn, ns, key, value, ttl)
            return True

    def delete(self, ns: str, key: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM kv WHERE ns = ? AND key = ?", (ns, key))
            conn.execute("DELETE FROM items WHERE ns = ? AND key = ?", (ns, key))

    def incr(self, ns: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        with self._write() as conn:
            raw = self._live(conn, ns, key)
            total = (0 if raw is None else int(json.loads(raw))) + by
            self._set(conn, ns, key, total, ttl)
            return total

    def advance(self, ns: str, key: str, seen: int, *, ttl: float | None = None) -> bool:
        with self._write() as conn:
            raw = self._live(conn, ns, key)
            if raw is not None and seen < int(json.loads(raw)):
                return False
            self._set(conn, ns, key, seen + 1, ttl)
            return True

    def append(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> int:
        with self._write() as conn:
            now = self._clock()
            conn.execute(
                "DELETE FROM items WHERE ns = ? AND key = ? AND expires <= ?", (ns, key, now)
            )
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(n), 0) FROM items WHERE ns = ? AND key = ?", (ns, key)
            ).fetchone()
            n = int(last) + 1
            conn.execute(
                "INSERT INTO items (ns, key, n, value, expires) VALUES (?, ?, ?, ?, ?)",
                (ns, key, n, json.dumps(value), self._expires(ttl)),
            )
            if ttl is not None:  # the whole list lives as long as its newest item
                conn.execute(
                    "UPDATE items SET expires = ? WHERE ns = ? AND key = ?",
                    (self._expires(ttl), ns, key),
                )
            return n

    def since(self, ns: str, key: str, after: int) -> list[tuple[int, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT n, value FROM items WHERE ns = ? AND key = ? AND n > ? "
                "AND (expires IS NULL OR expires > ?) ORDER BY n",
                (ns, key, after, self._clock()),
            ).fetchall()
        return [(int(n), json.loads(value)) for n, value in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
