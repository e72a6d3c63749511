"""The ``State`` interface every backend implements."""

from __future__ import annotations

import abc
from typing import Any

from kbcore.errors import KbsyncError


class StateError(KbsyncError):
    """The state store cannot be opened or used: the message names it and what to do."""


class State(abc.ABC):
    """Namespaced keys holding JSON values, counters and append-only lists.

    Every method is synchronous and thread-safe, and every write is durable when it
    returns. ``ttl`` is in seconds; an expired key reads as absent.
    """

    @abc.abstractmethod
    def get(self, ns: str, key: str) -> Any | None: ...

    @abc.abstractmethod
    def put(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> None: ...

    @abc.abstractmethod
    def put_new(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent; ``False`` when it was there (dedupe)."""

    @abc.abstractmethod
    def delete(self, ns: str, key: str) -> None: ...

    @abc.abstractmethod
    def incr(self, ns: str, key: str, by: int = 1, *, ttl: float | None = None) -> int:
        """Add ``by`` to the counter (absent = 0) and return the new total."""

    @abc.abstractmethod
    def advance(self, ns: str, key: str, seen: int, *, ttl: float | None = None) -> bool:
        """Accept turn ``seen`` if it is not behind the stored one, then store ``seen + 1``.

        ``False`` means ``seen`` is behind: an old token replayed. Atomic, so two
        requests with the same token cannot both pass.
        """

    @abc.abstractmethod
    def append(self, ns: str, key: str, value: Any, *, ttl: float | None = None) -> int:
        """Append to the key's list and return the item's number (1-based)."""

    @abc.abstractmethod
    def since(self, ns: str, key: str, after: int) -> list[tuple[int, Any]]:
        """The list's items numbered above ``after``, oldest first."""

    @abc.abstractmethod
    def close(self) -> None: ...
