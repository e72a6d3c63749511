"""Per-process machinery of a ``Store`` that is never persisted: id order indexes,
the processing queue and its worker task, the pending debounced save."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from sandbox._pagination import OrderedIndex


@dataclass
class Runtime:
    orders: dict[str, OrderedIndex] = field(default_factory=dict)
    # (vector store id, file id) pairs waiting to be parsed, chunked and indexed
    queue: deque[tuple[str, str]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    save_handle: asyncio.TimerHandle | None = None

    def close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker = None
        if self.save_handle is not None:
            self.save_handle.cancel()
            self.save_handle = None
        self.queue.clear()
