"""All sandbox state in one place: plain JSON-shaped dicts, persisted with ``--data``.

The Litestar app keeps one ``Store`` on ``app.state.store``; handlers reach it with
``store_of(request)``. Every handler runs on the event loop, so a mutation that does
not ``await`` in the middle needs no lock.

Seam between the two halves of the sandbox:
- files / vector stores / batches / processing / search / faults / persistence
  (``_files.py``, ``_vector_stores.py``, ``_vs_files.py``, ``_batches.py``,
  ``_processing.py``, ``_search.py``, ``_faults.py``, ``_control.py``, ``_middleware.py``,
  ``_persist.py``)
- responses / conversations / models (``_responses.py``, ``_conversations.py``,
  ``_models.py``, ``_answer.py``), which use only what is declared here.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request

from sandbox._chunking import chunk
from sandbox._errors import not_found
from sandbox._extract import InvalidFile, extract_text
from sandbox._filters import matches
from sandbox._pagination import OrderedIndex
from sandbox._persist import schedule_save, wipe
from sandbox._runtime import Runtime
from sandbox._search import Index

JSON = dict[str, Any]


def new_id(prefix: str) -> str:
    """An OpenAI-looking id: ``file-…`` for files, ``<prefix>_…`` for the rest."""
    sep = "-" if prefix == "file" else "_"
    return f"{prefix}{sep}{secrets.token_hex(12)}"


def now() -> int:
    return int(time.time())


@dataclass
class Store:
    data_dir: Path | None = None

    # Files API: id -> OpenAIFile object; id -> raw bytes
    files: dict[str, JSON] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    # Vector stores: id -> VectorStoreObject
    vector_stores: dict[str, JSON] = field(default_factory=dict)
    # vector store id -> {file id -> VectorStoreFileObject}, insertion-ordered
    vs_files: dict[str, dict[str, JSON]] = field(default_factory=dict)
    # batch id -> VectorStoreFileBatchObject (+ private "_file_ids")
    batches: dict[str, JSON] = field(default_factory=dict)

    # Conversations: id -> ConversationResource; id -> items, oldest first
    conversations: dict[str, JSON] = field(default_factory=dict)
    conversation_items: dict[str, list[JSON]] = field(default_factory=dict)
    # Responses: id -> Response object; id -> its input items, oldest first
    responses: dict[str, JSON] = field(default_factory=dict)
    response_input_items: dict[str, list[JSON]] = field(default_factory=dict)
    # Response streams: "open" now, "completed" normally, "aborted" (client went away or
    # a "drop" fault); shown by GET /_sandbox/stats as "streams". Not persisted.
    streams: dict[str, int] = field(
        default_factory=lambda: {"open": 0, "completed": 0, "aborted": 0}
    )

    # --- private runtime state of the files/vector-stores half (never persisted) ---
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    indexes: dict[str, Index] = field(default_factory=dict, repr=False)
    runtime: Runtime = field(default_factory=lambda: Runtime(), repr=False)

    def search(
        self,
        vector_store_id: str,
        query: str,
        *,
        max_num_results: int = 10,
        filters: JSON | None = None,
        score_threshold: float = 0.0,
    ) -> list[JSON]:
        """Ranked hits, best first, in the ``VectorStoreSearchResult`` shape:
        ``{"file_id", "filename", "score" (0..1), "attributes",
        "content": [{"type": "text", "text"}]}``. Raises ``ApiError`` 404 for an unknown store.
        Only ``completed`` files are searched; one hit per matching chunk."""
        if vector_store_id not in self.vector_stores:
            raise not_found("vector store", vector_store_id)
        attached = self.vs_files.get(vector_store_id, {})

        def allowed(file_id: str) -> bool:
            obj = attached.get(file_id)
            return (
                obj is not None
                and obj["status"] == "completed"
                and matches(filters, obj.get("attributes"))
            )

        hits = self.index_of(vector_store_id).search(query, max_num_results, allowed)
        self.vector_stores[vector_store_id]["last_active_at"] = now()
        return [
            {
                "file_id": hit.file_id,
                "filename": self.files.get(hit.file_id, {}).get("filename", ""),
                "score": hit.score,
                "attributes": dict(attached[hit.file_id].get("attributes") or {}),
                "content": [{"type": "text", "text": hit.text}],
            }
            for hit in hits
            if hit.score >= score_threshold
        ]

    def changed(self) -> None:
        """Call after every mutation; persists (atomically) when ``data_dir`` is set."""
        if self.data_dir is not None:
            schedule_save(self)

    # --- helpers for the files/vector-stores half ---

    def text_of(self, file_id: str) -> str | None:
        """The parsed text of an uploaded file (cached), or ``None`` when it cannot be parsed."""
        text = self.texts.get(file_id)
        if text is None and file_id in self.files and file_id in self.blobs:
            try:
                text = extract_text(self.files[file_id]["filename"], self.blobs[file_id])
            except InvalidFile:
                return None
            self.texts[file_id] = text
        return text

    def index_of(self, vector_store_id: str) -> Index:
        """The store's search index; built lazily (e.g. after a restart) from completed files."""
        index = self.indexes.get(vector_store_id)
        if index is None:
            index = self.indexes[vector_store_id] = Index()
            for file_id, obj in self.vs_files.get(vector_store_id, {}).items():
                if obj["status"] == "completed":
                    index.add(file_id, self.chunker(file_id, obj["chunking_strategy"]))
        return index

    def chunker(self, file_id: str, strategy: JSON) -> Callable[[], list[str]]:
        return lambda: chunk(self.text_of(file_id) or "", strategy)

    def order(self, kind: str, mapping: Collection[str]) -> OrderedIndex:
        """The creation-ordered id index of ``mapping`` (files, vector stores, or one store's
        files), rebuilt if someone changed the mapping behind its back."""
        index = self.runtime.orders.get(kind)
        if index is None or len(index) != len(mapping):
            index = self.runtime.orders[kind] = OrderedIndex(mapping)
        return index

    def reset(self) -> None:
        """Forget everything (``POST /_sandbox/reset``), in place: the app keeps this object."""
        self.runtime.close()
        fresh = Store(data_dir=self.data_dir)
        for name in fresh.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))
        if self.data_dir is not None:
            wipe(self)


def store_of(request: Request[Any, Any, Any]) -> Store:
    store: Store = request.app.state.store
    return store
