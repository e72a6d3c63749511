"""Per-process machinery of a ``Store`` that is never persisted: id order indexes,
the processing queue and its worker task, the pending debounced save, the upload times
of Files (for ``consistency_ms``), the conversations a response is running on."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from sandbox._pagination import OrderedIndex


@dataclass
class Runtime:
    orders: dict[str, OrderedIndex] = field(default_factory=dict)
    # (vector store id, file id, max tokens) of files waiting to be parsed, chunked and
    # indexed; the token limit is the one in force when the file was attached
    queue: deque[tuple[str, str, int]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None
    save_handle: asyncio.TimerHandle | None = None
    # file id -> time.monotonic() of its upload (only the young ones matter)
    born: dict[str, float] = field(default_factory=dict)
    # conversation id -> the response running on it (a second one is conversation_locked)
    running: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker = None
        if self.save_handle is not None:
            self.save_handle.cancel()
            self.save_handle = None
        self.queue.clear()
        self.running.clear()
