"""``--data DIR``: the store's JSON state in ``state.json`` (written whole, debounced,
atomically) and each upload's bytes in ``blobs/<file id>`` (written once, on upload)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox._state import Store

STATE_FILE = "state.json"
BLOBS = "blobs"
DEBOUNCE_S = 0.2
PERSISTED = (
    "files",
    "vector_stores",
    "vs_files",
    "batches",
    "conversations",
    "conversation_items",
    "responses",
    "response_input_items",
)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_now(store: Store) -> None:
    if store.data_dir is None:
        return
    if store.runtime.save_handle is not None:
        store.runtime.save_handle.cancel()
        store.runtime.save_handle = None
    state = {name: getattr(store, name) for name in PERSISTED}
    _atomic_write(store.data_dir / STATE_FILE, json.dumps(state, ensure_ascii=False).encode())


def schedule_save(store: Store) -> None:
    """Save within ``DEBOUNCE_S``; many changes in a burst cost one write."""
    if store.runtime.save_handle is not None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        save_now(store)
        return
    store.runtime.save_handle = loop.call_later(DEBOUNCE_S, save_now, store)


def save_blob(store: Store, file_id: str, data: bytes) -> None:
    if store.data_dir is not None:
        _atomic_write(store.data_dir / BLOBS / file_id, data)


def delete_blob(store: Store, file_id: str) -> None:
    if store.data_dir is not None:
        (store.data_dir / BLOBS / file_id).unlink(missing_ok=True)


def load(store: Store) -> None:
    """Fill ``store`` from its ``data_dir`` (if it holds a saved state)."""
    if store.data_dir is None:
        return
    path = store.data_dir / STATE_FILE
    if not path.exists():
        return
    state: dict[str, Any] = json.loads(path.read_bytes())
    for name in PERSISTED:
        if isinstance(state.get(name), dict):
            setattr(store, name, state[name])
    blobs = store.data_dir / BLOBS
    for file_id in store.files:
        blob = blobs / file_id
        if blob.exists():
            store.blobs[file_id] = blob.read_bytes()


def wipe(store: Store) -> None:
    """Forget the saved state too (``POST /_sandbox/reset`` with ``--data``)."""
    if store.data_dir is None:
        return
    blobs = store.data_dir / BLOBS
    if blobs.is_dir():
        for blob in blobs.iterdir():
            blob.unlink(missing_ok=True)
    save_now(store)
