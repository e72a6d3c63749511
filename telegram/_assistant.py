"""What the bot answers with: the spec, the vector store, the answer engine, the document
cache. Inside the relay's process the relay's own are shared (``kbsync`` passes them);
``kbsync telegram poll`` loads its own (``Standalone``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from answer import DocumentCache, Engine, Upstream
from kbcore.kb import AssistantSpec, load_spec
from kbcore.openai_client import ClientSettings
from telegram._errors import TelegramError

log = logging.getLogger("kbsync.telegram")
UPSTREAM_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Ready:
    spec: AssistantSpec
    vector_store_id: str
    engine: Engine
    documents: DocumentCache


Current = Callable[[], Ready | None]


class Standalone:
    """The assistant for a bot running on its own: the KB loaded from ``kb_dir`` (again
    when its settings change on disk), the store found by the one ``kbcore`` rule."""

    def __init__(self, kb_dir: Path, settings: ClientSettings, vector_store_id: str | None) -> None:
        self.kb_dir = kb_dir
        self.settings = settings
        self.vector_store_id = vector_store_id
        self.upstream: Upstream | None = None
        self._ready: Ready | None = None
        self._stamp: tuple[float, ...] = ()

    async def start(self) -> None:
        """Load the KB and find its store; raises ``KbsyncError`` naming what is wrong."""
        self.upstream = Upstream(self.settings, timeout=UPSTREAM_TIMEOUT_S)
        spec = load_spec(self.kb_dir)
        found = await self.upstream.find_vector_store(spec.name, self.vector_store_id)
        if found is None:
            raise TelegramError(
                f"No vector store holds the KB {spec.name!r} yet; run kbsync first "
                "(or set VECTOR_STORE_ID)."
            )
        documents = DocumentCache(self.upstream.file_attributes)
        self._ready = Ready(spec, found, Engine(self.upstream), documents)
        self._stamp = self._mtimes()

    def _mtimes(self) -> tuple[float, ...]:
        names = ("instructions.md", "assistant.yaml")
        return tuple(
            (self.kb_dir / n).stat().st_mtime if (self.kb_dir / n).exists() else 0.0 for n in names
        )

    def current(self) -> Ready | None:
        ready = self._ready
        if ready is None:
            return None
        stamp = self._mtimes()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                ready = Ready(
                    load_spec(self.kb_dir), ready.vector_store_id, ready.engine, ready.documents
                )
                self._ready = ready
            except Exception as exc:  # keep answering with the last good spec
                log.warning("kb reload failed, keeping the last good spec: %s", exc)
        return ready

    async def aclose(self) -> None:
        if self.upstream is not None:
            await self.upstream.aclose()
