"""Group commit: writes that arrive while one commit is being made go together in the
next one, and each caller resumes once its own write is on disk. With ``synchronous=FULL``
a commit costs an fsync (milliseconds), so one per lead would cap intake at a few
hundred a second; one per group does not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``await submit(item)`` runs ``write`` (in a worker thread) on a group of items."""

    def __init__(self, write: Callable[[Sequence[T]], list[R]]) -> None:
        self._write = write
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queue:
            group, self._queue = self._queue, []
            try:
                results = await asyncio.to_thread(self._write, [item for item, _ in group])
            except BaseException as exc:
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)
