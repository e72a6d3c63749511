"""All sandbox state in one place: plain JSON-shaped dicts, persisted with ``--data``.

The Litestar app keeps one ``Store`` on ``app.state.store``; handlers reach it with
``store_of(request)``. Every handler runs on the event loop, so a mutation that does
not ``await`` in the middle needs no lock.

Seam between the two halves of the sandbox:
- files / vector stores / batches / processing / search / faults / persistence
  (``_files.py``, ``_vector_stores.py``, ``_processing.py``, ``_search.py``, ``_faults.py``)
- responses / conversations / models (``_responses.py``, ``_conversations.py``,
  ``_models.py``, ``_answer.py``), which use only what is declared here.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request

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
        ``{"file_id", "filename", "score" (0..1), "attributes", "content": [{"type": "text", "text"}]}``.
        Raises ``ApiError`` 404 for an unknown store."""
        raise NotImplementedError

    def changed(self) -> None:
        """Call after every mutation; persists (atomically) when ``data_dir`` is set."""
        raise NotImplementedError


def store_of(request: Request[Any, Any, Any]) -> Store:
    store: Store = request.app.state.store
    return store


def fault_of(request: Request[Any, Any, Any]) -> str | None:
    """The fault the fault middleware picked for this request and left for the handler
    to act on (``"drop"``: cut a response stream in the middle), else ``None``."""
    value = request.scope.get("state", {}).get("sandbox_fault")
    return value if isinstance(value, str) else None


def token_delay_ms(request: Request[Any, Any, Any]) -> int:
    """Delay between streamed text deltas, set through ``POST /_sandbox/faults``."""
    value = request.scope.get("state", {}).get("sandbox_token_delay_ms", 0)
    return int(value)
