"""Attaching files to vector stores and processing them in the background.

``attach`` answers at once with status ``in_progress``; one worker task per store
parses, chunks and queues the file for indexing a moment later, so clients really poll
(as they must against the real API). A ``stuck`` fault attaches without queueing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sandbox._errors import ApiError, bad_request, not_found
from sandbox._extract import InvalidFile, extension, extract_text, is_supported
from sandbox._faults import DEFAULT_MAX_FILE_TOKENS
from sandbox._state import JSON, Store, now
from sandbox._tokens import count_tokens

_log = logging.getLogger("sandbox")

POLL_AFTER_MS = 50
# the first look a client gets is "in_progress"; then processing finishes promptly
_START_DELAY_S = 0.02
_HEAVY = {".pdf", ".docx", ".pptx"}


def empty_counts() -> dict[str, int]:
    return {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0}


def is_young(store: Store, file_id: str, consistency_ms: int) -> bool:
    """Whether the File was uploaded less than ``consistency_ms`` ago: the live API's
    vector-store side may not know it yet (eventual consistency)."""
    born = store.runtime.born.get(file_id)
    return born is not None and (time.monotonic() - born) * 1000 < consistency_ms


def check_attachable(
    store: Store, file_id: str, *, param: str = "file_id", consistency_ms: int = 0
) -> None:
    """404 for an unknown (or, under ``consistency_ms``, too young) file, 400
    ``unsupported_file`` for an extension file_search refuses."""
    file = store.files.get(file_id)
    if file is None or is_young(store, file_id, consistency_ms):
        raise ApiError(404, f"No file found with id '{file_id}'.", param=param)
    if not is_supported(file["filename"]):
        ext = extension(file["filename"]) or "(none)"
        raise bad_request(
            f"Files with extension [{ext}] are not supported for retrieval. "
            f"See https://platform.openai.com/docs/assistants/tools/file-search#supported-files",
            param=param,
            code="unsupported_file",
        )


def _count(store: Store, vs_id: str, status: str, delta: int, usage: int = 0) -> None:
    vs = store.vector_stores.get(vs_id)
    if vs is None:
        return
    vs["file_counts"][status] += delta
    vs["file_counts"]["total"] += delta
    vs["usage_bytes"] += usage


def set_status(store: Store, obj: JSON, status: str, error: JSON | None = None) -> None:
    vs_id = obj["vector_store_id"]
    _count(store, vs_id, obj["status"], -1)
    _count(store, vs_id, status, +1)
    obj["status"] = status
    obj["last_error"] = error


def detach(store: Store, vs_id: str, file_id: str, *, recount: bool = True) -> JSON | None:
    """Take the file out of the store. ``recount=False`` is what deleting the File itself
    does to every store it is still attached to upstream: it leaves their listing, but
    their ``file_counts`` (and usage) stay as they were."""
    files = store.vs_files.get(vs_id)
    if files is None or file_id not in files:
        return None
    store.order(f"vs:{vs_id}", files).remove(file_id)
    obj = files.pop(file_id)
    if recount:
        _count(store, vs_id, obj["status"], -1, -obj["usage_bytes"])
    if vs_id in store.indexes:
        store.indexes[vs_id].remove(file_id)
    return obj


def attach(
    store: Store,
    vs_id: str,
    file_id: str,
    *,
    attributes: dict[str, Any] | None,
    strategy: JSON,
    stuck: bool,
    max_tokens: int = DEFAULT_MAX_FILE_TOKENS,
) -> JSON:
    """Attach (or re-attach) a checked file; returns the new in_progress object. Its
    processing fails when the text has more than ``max_tokens`` tokens."""
    detach(store, vs_id, file_id)
    obj: JSON = {
        "id": file_id,
        "object": "vector_store.file",
        "usage_bytes": 0,
        "created_at": now(),
        "vector_store_id": vs_id,
        "status": "in_progress",
        "last_error": None,
        "chunking_strategy": strategy,
        "attributes": dict(attributes or {}),
    }
    files = store.vs_files.setdefault(vs_id, {})
    index = store.order(f"vs:{vs_id}", files)
    files[file_id] = obj
    index.add(file_id)
    _count(store, vs_id, "in_progress", +1)
    if not stuck:
        store.runtime.queue.append((vs_id, file_id, max_tokens))
        _ensure_worker(store)
    return obj


def _ensure_worker(store: Store) -> None:
    worker = store.runtime.worker
    if worker is not None and not worker.done():
        return
    with contextlib.suppress(RuntimeError):  # no loop: processed when the app starts
        store.runtime.worker = asyncio.get_running_loop().create_task(_work(store))


async def _work(store: Store) -> None:
    await asyncio.sleep(_START_DELAY_S)
    queue = store.runtime.queue
    done = 0
    while queue:
        vs_id, file_id, max_tokens = queue.popleft()
        obj = store.vs_files.get(vs_id, {}).get(file_id)
        if obj is None or obj["status"] != "in_progress":
            continue
        try:
            await process(store, obj, max_tokens)
        except Exception as error:  # a sandbox bug must not stall every later file
            _log.exception("processing %s failed", file_id)
            if obj["status"] == "in_progress":
                set_status(store, obj, "failed", {"code": "server_error", "message": str(error)})
        done += 1
        if done % 50 == 0:
            store.changed()
            await asyncio.sleep(0)
    store.changed()


async def process(store: Store, obj: JSON, max_tokens: int = DEFAULT_MAX_FILE_TOKENS) -> None:
    """Parse, chunk and index one attached file; settles its status."""
    file_id = obj["id"]
    file = store.files.get(file_id)
    text = store.texts.get(file_id)
    error: JSON | None = None
    if text is None and file is not None and file_id in store.blobs:
        try:
            if extension(file["filename"]) in _HEAVY:
                text = await asyncio.to_thread(extract_text, file["filename"], store.blobs[file_id])
            else:
                text = extract_text(file["filename"], store.blobs[file_id])
            store.texts[file_id] = text
        except InvalidFile as failure:
            error = {"code": "invalid_file", "message": str(failure)}
    current = store.vs_files.get(obj["vector_store_id"], {}).get(file_id)
    if current is not obj or obj["status"] != "in_progress":
        return  # detached, re-attached or cancelled while parsing
    if text is None:
        error = error or {"code": "server_error", "message": "The file's bytes are gone."}
        set_status(store, obj, "failed", error)
        return
    tokens = count_tokens(text)
    if tokens > max_tokens:
        # the live API refuses a document over its per-file token limit the same way,
        # every time: re-sending the same bytes cannot help
        message = (
            f"The file has too many tokens to be processed: about {tokens:,}, over the limit "
            f"of {max_tokens:,} tokens per file."
        )
        set_status(store, obj, "failed", {"code": "invalid_file", "message": message})
        return
    usage = len(text.encode())
    obj["usage_bytes"] = usage
    _count(store, obj["vector_store_id"], "in_progress", 0, usage)
    set_status(store, obj, "completed")
    # "completed" means searchable: index the file now, not on the next search
    index = store.index_of(obj["vector_store_id"])  # created on first use, with this file
    if file_id not in index.pending:
        index.add(file_id, store.chunker(file_id, obj["chunking_strategy"]))
    index.flush()


def resume(store: Store) -> None:
    """Queue files left in_progress by a previous run (called at startup)."""
    for vs_id, files in store.vs_files.items():
        for file_id, obj in files.items():
            if obj["status"] == "in_progress":
                store.runtime.queue.append((vs_id, file_id, DEFAULT_MAX_FILE_TOKENS))
    if store.runtime.queue:
        _ensure_worker(store)


def batch_counts(store: Store, batch: JSON) -> dict[str, int]:
    counts = empty_counts()
    files = store.vs_files.get(batch["vector_store_id"], {})
    for file_id in batch["_file_ids"]:
        obj = files.get(file_id)
        if obj is not None:
            counts[obj["status"]] += 1
            counts["total"] += 1
    return counts


def render_batch(store: Store, batch: JSON) -> JSON:
    counts = batch_counts(store, batch)
    status = batch["status"]
    if status == "in_progress" and counts["in_progress"] == 0:
        status = batch["status"] = "completed"
    public = {key: value for key, value in batch.items() if not key.startswith("_")}
    return {**public, "status": status, "file_counts": counts}


def vector_store_or_404(store: Store, vs_id: str) -> JSON:
    vs = store.vector_stores.get(vs_id)
    if vs is None:
        raise not_found("vector store", vs_id)
    return vs
