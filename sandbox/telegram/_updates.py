"""Updates on their way to the bot: queued for ``getUpdates`` (long polling), or posted
to the webhook when one is set — never both, as with the live API.

Long polling: ``offset`` confirms every update before it; ``timeout`` holds the request
open until an update arrives; a second ``getUpdates`` while one is waiting ends the first
with ``409 Conflict: terminated by other getUpdates request``. Webhook: each update is
POSTed as JSON with ``X-Telegram-Bot-Api-Secret-Token`` when a secret was set; a failed
delivery (not 2xx, or no answer) is retried with growing pauses, then dropped with its
reason in ``getWebhookInfo``'s ``last_error_message``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx2

from sandbox.telegram._errors import conflict

DELIVERY_ATTEMPTS = 6
FIRST_RETRY_S = 0.2
DELIVERY_TIMEOUT_S = 10.0
MAX_POLL_S = 50.0


@dataclass
class Webhook:
    url: str
    secret: str | None = None
    max_connections: int = 40


@dataclass
class Updates:
    next_id: int = 100000001
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    webhook: Webhook | None = None
    delivered: int = 0
    last_error: tuple[int, str] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _poll_generation: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _slots: asyncio.Semaphore | None = None
    _client: httpx2.AsyncClient | None = None

    def reset(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self.pending.clear()
        self.webhook = None
        self.delivered = 0
        self.last_error = None
        self._arrived.set()  # a waiting poll wakes, finds nothing, and waits on

    async def close(self) -> None:
        self.reset()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give ``update`` its id and send it on its way; returns it."""
        update = {"update_id": self.next_id, **update}
        self.next_id += 1
        if self.webhook is not None:
            self._deliver(update)
        else:
            self.pending.append(update)
            self._arrived.set()
        return update

    # -- webhook -----------------------------------------------------------------------

    def set_webhook(self, webhook: Webhook, *, drop_pending: bool) -> None:
        self.webhook = webhook
        self._slots = asyncio.Semaphore(webhook.max_connections)
        self._poll_generation += 1
        self._arrived.set()
        if drop_pending:
            self.pending.clear()
        while self.pending:
            self._deliver(self.pending.popleft())

    def delete_webhook(self, *, drop_pending: bool) -> None:
        self.webhook = None
        if drop_pending:
            self.pending.clear()

    def _deliver(self, update: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._post(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, update: dict[str, Any]) -> None:
        webhook = self.webhook
        if webhook is None or self._slots is None:
            self.pending.append(update)
            return
        if self._client is None:
            self._client = httpx2.AsyncClient(timeout=DELIVERY_TIMEOUT_S)
        headers = {"Content-Type": "application/json"}
        if webhook.secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret
        pause = FIRST_RETRY_S
        for attempt in range(DELIVERY_ATTEMPTS):
            if attempt:
                await asyncio.sleep(pause)
                pause *= 2
            async with self._slots:
                try:
                    response = await self._client.post(webhook.url, json=update, headers=headers)
                except httpx2.HTTPError as error:
                    self.last_error = (int(time.time()), f"Connection failed: {error}")
                    continue
            if 200 <= response.status_code < 300:
                self.delivered += 1
                return
            reason = f"Wrong response from the webhook: {response.status_code}"
            self.last_error = (int(time.time()), reason)

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending) + len(self._tasks),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
        if self.last_error is not None:
            info["last_error_date"], info["last_error_message"] = self.last_error
        return info

    # -- long polling --------------------------------------------------------------------

    async def get(self, offset: int, limit: int, timeout: float) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._arrived.set()  # an older waiting poll wakes and finds itself replaced
        self._arrived = asyncio.Event()
        deadline = time.monotonic() + min(timeout, MAX_POLL_S)
        while not self.pending and (remaining := deadline - time.monotonic()) > 0:
            arrived = self._arrived
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), remaining)
            if generation != self._poll_generation:
                raise conflict(
                    "terminated by other getUpdates request; make sure that only one bot "
                    "instance is running"
                )
            if arrived.is_set():
                self._arrived = asyncio.Event()
        return list(self.pending)[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            while self.pending and self.pending[0]["update_id"] < offset:
                self.pending.popleft()
        elif offset < 0:
            while len(self.pending) > -offset:
                self.pending.popleft()
