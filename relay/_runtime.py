"""The relay's per-process state and its background work (spec watch, vector-store lookup).

Kept on ``app.state.relay``. Conversations live at OpenAI; what the token alone cannot
refuse (replays, per-conversation turns and tokens) is kept in ``state`` (``ledger``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from litestar import Request

from answer import DocumentCache, Engine, Upstream, UpstreamError
from kbcore.errors import StoreChoiceError
from kbcore.kb import AssistantSpec
from relay import _log
from relay._config import Config
from relay._counters import Clock
from relay._ledger import Ledger
from relay._limits import Limits
from relay._metrics import Metrics
from relay._spec import SpecHolder
from relay._token import TokenSigner
from state import open_state

RESOLVE_FIRST_RETRY = 0.25
RESOLVE_MAX_RETRY = 10.0


class Runtime:
    def __init__(self, config: Config, *, clock: Clock = time.time) -> None:
        self.config = config
        self.metrics = Metrics()
        self.limits = Limits(config, clock=clock)
        self.slots = self.limits.slots
        self.signer = TokenSigner(
            config.relay_secret or secrets.token_urlsafe(32),
            previous=[config.relay_secret_previous or ""],
            ttl=config.conversation_ttl,
            max_turns=config.max_turns,
            clock=clock,
        )
        self.upstream: Upstream | None = None
        self.engine: Engine | None = None
        self.ledger: Ledger | None = None  # from start: STATE_DB, or REDIS_URL when set
        self.documents = DocumentCache(self._file_attributes)
        self.spec = SpecHolder(config.kb_dir, on_change=self._spec_changed)
        self.vector_store_id: str | None = None
        self._resolved_for: str | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def ready(self) -> bool:
        spec = self.spec.spec
        return spec is not None and self.vector_store_id is not None

    def readiness(self) -> dict[str, Any]:
        spec = self.spec.spec
        return {
            "ready": self.ready,
            "spec": spec.digest if spec else None,
            "spec_error": self.spec.error,
            "kb_name": spec.name if spec else None,
            "vector_store": self.vector_store_id is not None,
        }

    async def start(self) -> None:
        if not self.config.relay_secret:
            warn_missing_secret()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        redis_url = self.config.redis_url
        self.ledger = Ledger(
            lambda: open_state(redis_url=redis_url), float(self.config.conversation_ttl)
        )
        self.upstream = Upstream(
            self.config.client_settings,
            timeout=self.config.upstream_timeout,
            connections=self.config.max_concurrent_streams + 16,  # + lookups, citations
        )
        self.engine = Engine(self.upstream)
        self.spec.load()
        self._tasks = [
            asyncio.create_task(self._watch_spec(), name="relay-spec-watch"),
            asyncio.create_task(self._resolve_vector_store(), name="relay-vector-store"),
        ]

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.limits.aclose()
        if self.upstream is not None:
            await self.upstream.aclose()
        if self.ledger is not None:
            ledger, self.ledger = self.ledger, None
            await asyncio.to_thread(ledger.close)

    async def _file_attributes(
        self, vector_store_id: str, file_id: str
    ) -> Mapping[str, object] | None:
        if self.upstream is None:
            return None
        return await self.upstream.file_attributes(vector_store_id, file_id)

    def forget_vector_store(self) -> None:
        """The store is gone upstream: not ready until the resolver finds one again."""
        self.vector_store_id, self._resolved_for = None, None
        _log.event(logging.WARNING, "vector_store_gone")
        self._wake.set()

    def _spec_changed(self, spec: AssistantSpec) -> None:
        self.metrics.spec_reloads += 1
        if self._resolved_for is not None and spec.name != self._resolved_for:
            self.vector_store_id = None  # a new KB name: find its store again
            self._resolved_for = None
        self._wake.set()

    async def _watch_spec(self) -> None:
        while not self._stop.is_set():
            if not self.config.kb_dir.is_dir():  # not there yet (or gone): look again soon
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)
                continue
            try:
                await self.spec.watch(self._stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the watcher must not die silently
                _log.event(logging.ERROR, "spec_watch_failed", error=type(exc).__name__)
                await asyncio.sleep(1.0)

    async def _resolve_vector_store(self) -> None:
        delay = RESOLVE_FIRST_RETRY
        refused: str | None = None  # the last refusal, logged once until it changes
        while not self._stop.is_set():
            spec = self.spec.spec
            if spec is not None and self._resolved_for != spec.name and self.upstream:
                found: str | None = None
                try:
                    found = await self.upstream.find_vector_store(
                        spec.name, self.config.vector_store_id
                    )
                except StoreChoiceError as exc:
                    # Never a silent pick: not ready until the operator settles it.
                    if str(exc) != refused:
                        refused = str(exc)
                        _log.event(
                            logging.ERROR,
                            "vector_store_refused",
                            kb_name=spec.name,
                            message=refused,
                        )
                except UpstreamError as exc:
                    _log.event(logging.WARNING, "vector_store_lookup_failed", error=str(exc))
                else:
                    refused = None
                    if found is None:
                        _log.event(
                            logging.WARNING,
                            "vector_store_missing",
                            kb_name=spec.name,
                            retry_in=delay,
                            message="No vector store for this KB yet; run kbsync to create it.",
                        )
                if found is not None:
                    self.vector_store_id, self._resolved_for = found, spec.name
                    _log.event(logging.INFO, "vector_store_resolved", kb_name=spec.name, id=found)
                    delay = RESOLVE_FIRST_RETRY
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                timeout = None if self._resolved_for is not None else delay
                await asyncio.wait_for(self._wake.wait(), timeout)
            if self._resolved_for is None:
                delay = min(delay * 2, RESOLVE_MAX_RETRY)
            # a spec that failed to load is retried here too (e.g. kb/ appeared later)
            if self.spec.spec is None:
                self.spec.load()


def warn_missing_secret() -> None:
    _log.event(
        logging.WARNING,
        "relay_secret_missing",
        message=(
            "RELAY_SECRET is not set: using a random secret for this process only. "
            "Conversation tokens will not survive a restart or work across replicas; "
            "set RELAY_SECRET to a long random string in production."
        ),
    )


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    runtime: Runtime = request.app.state.relay
    return runtime
