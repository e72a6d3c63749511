"""Durable state that outlives a process: one interface, two backends.

SQLite is the embedded default (``STATE_DB``, default ``.kbsync/state.db``): WAL, and
every write is committed with ``synchronous=FULL`` before the call returns, so a client
told "done" never loses it to a crash. Redis serves several replicas (``REDIS_URL``).
Both backends pass the same tests (``tests/state``).

What lives here: each conversation's turn count and spent tokens (so a replayed old token
cannot restart them), Telegram chats, hand-off threads and their messages, and update
dedupe. The lead outbox keeps its own tables in local SQLite (``state.sqlite.connect``).

Example::

    st = open_state()                       # from STATE_DB / REDIS_URL
    if not st.advance("turns", conversation_id, seen=claims.turn):
        ...                                 # an old token replayed: refuse it
    st.incr("tokens", conversation_id, by=usage)
"""

from __future__ import annotations

from state._base import State, StateError
from state._open import DEFAULT_DB, open_state

__all__ = ["DEFAULT_DB", "State", "StateError", "open_state"]
