"""A store's own uploads: their digest (the fast path's proof that none was deleted), the
orphans among them, and the Files other stores of the KB still hold.

- **Stale counts.** Deleting a File that is still attached to a store (``DELETE
  /v1/files/{id}``, by hand in the dashboard, say) drops it from the store's listing but
  leaves the store's ``file_counts`` as they were, so counts and stamp alone would call
  the broken store in sync. The stamp therefore also holds ``kb_uploads_sha256``, the
  digest of the ids of the Files named for this store (``kbcore/wire.py``) that exist,
  and the fast path compares it with the same digest of ``GET /v1/files``: one request
  per 10,000 Files, so a no-op sync stays at 3 requests. A deleted upload changes it,
  and the full path then finds the missing document and uploads it again. The digest
  leaves out the Files this store let go of that another store still holds (below):
  while one exists the fast path does not hold and the full path plans nothing. (A main-store
  File a preview attached is named for the main store, so a preview's fast path does not
  see it deleted by hand; the main store's sync no longer deletes it, below.)
- **Files other stores hold.** A preview attaches the main store's Files by id; deleting
  one of them when the main store no longer needs it would break the preview (and leave
  its counts stale). So before deleting a File it owns, an apply asks which of them are
  still attached to another live (not expired) store of the same KB, keeps those (only
  detached), and the orphan scan never takes them either; ``kbsync preview --delete``
  deletes them once no store holds them.
- **Lost upload replies.** An upload repeated after a failure that may have come after
  the File was made (``Remote.unsure_uploads``) may have left an unattached File whose id
  never reached us. The apply then sweeps the store's orphans before it stamps, so none
  outlives the run.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from kbcore.wire import KB_NAME, orphans
from sync._remote import Remote
from sync._remote_state import RemoteFile, RemoteState, RemoteStore
from sync._stamp import uploads_digest

_PAGE = 100  # files per page of a store's listing


def held_elsewhere(
    remote: Remote, kb_name: str, store_id: str, file_ids: Collection[str]
) -> set[str]:
    """Which of ``file_ids`` another live store of ``kb_name`` still holds (previews).

    Per other store: one retrieve per File, or its whole listing when that is cheaper."""
    if not file_ids:
        return set()
    others = [
        s
        for s in remote.list_stores()
        if s.id != store_id and s.metadata.get(KB_NAME) == kb_name and not s.expired
    ]
    held: set[str] = set()
    for other in others:
        pages = max(1, math.ceil(other.file_counts.total / _PAGE))
        if pages < len(file_ids):
            attached = {f.id for f in remote.list_files(other.id)}
            held |= attached & set(file_ids)
        else:
            held |= {f for f in file_ids if f not in held and remote.holds(other.id, f)}
    return held


def remote_state(
    remote: Remote, store: RemoteStore | None, files: Iterable[RemoteFile], kb_name: str
) -> RemoteState:
    """The store with all its files (listed already), its orphans (minus the Files another
    store of the KB holds) and the digest of its own uploads."""
    listed = tuple(files)
    if store is None:
        return RemoteState(None, listed)
    uploads = remote.list_uploads()
    lost = orphans(uploads, store.id, (f.id for f in listed))
    kept = held_elsewhere(remote, kb_name, store.id, lost)
    return RemoteState(
        store,
        listed,
        tuple(f for f in lost if f not in kept),
        uploads_digest([u for u in uploads if u[0] not in kept], store.id),
        tuple(sorted(kept)),
    )


def sweep_lost_uploads(remote: Remote, store_id: str, kb_name: str) -> int:
    """Delete this store's orphans (after uploads whose reply may have been lost);
    returns how many."""
    attached = {f.id for f in remote.list_files(store_id)}
    lost = orphans(remote.list_uploads(), store_id, attached)
    kept = held_elsewhere(remote, kb_name, store_id, lost)
    doomed = [f for f in lost if f not in kept]
    for file_id in doomed:
        remote.delete_file(file_id)
    return len(doomed)
