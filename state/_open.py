"""Choose the backend from the environment: Redis when ``REDIS_URL`` is set, else SQLite."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from state._base import State

DEFAULT_DB = Path(".kbsync") / "state.db"


def open_state(
    *,
    path: str | Path | None = None,
    redis_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> State:
    """The state store: ``redis_url`` / ``REDIS_URL`` if given, else SQLite at ``path`` /
    ``STATE_DB`` / ``.kbsync/state.db`` under the working directory."""
    environ = os.environ if env is None else env
    url = redis_url if redis_url is not None else (environ.get("REDIS_URL") or None)
    if path is None and url:
        from state.redis import RedisState

        return RedisState(url)
    from state.sqlite import SqliteState

    return SqliteState(path or environ.get("STATE_DB") or DEFAULT_DB)
