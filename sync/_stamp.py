"""The stamp: the KB's digests in the store's metadata, meaning "in sync at this revision".

- ``stamp_for``: the metadata an apply writes last, once everything else succeeded.
- ``dirty``: what an apply writes first, before any other write, when the store's stamp
  claims sync (``kb_files_sha256: ""``): a run killed midway then never leaves a stamp
  that claims sync over a store it half changed.
- ``trusted``: the fast path. When the stamp's digests equal the local KB's and the
  store's ``file_counts`` say every file is ``completed`` and there are as many as
  documents, the store is in sync: no listing, no orphan scan, so a no-op sync costs
  the same few requests whatever the number of documents. Drift made by hand that
  leaves the counts as they were (an attribute edited in the dashboard) is found only
  by ``--refresh``, which the kb-sync workflow runs nightly. A File deleted while still
  attached leaves the counts as they were too (the live API does not update them): the
  fast path finds that one by ``kb_uploads_sha256`` (``sync/_uploads.py``), at the cost of
  one ``GET /v1/files``.

Besides the two digests (``kb_files_sha256``, ``kb_spec_sha256``) the stamp holds
``kb_attributes_sha256``, the digest of every file's attribute map, and the fast path
compares it too: what kbsync puts in the attributes can change with kbsync itself (a
new attribute such as ``kb_title``, a better title), with neither the bytes nor the
settings changing. A store stamped before then has no such key, so its first sync
takes the full path and retags every file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping

from kbcore import __version__
from kbcore.kb import KnowledgeBase
from kbcore.wire import (
    KB_ATTRIBUTES_SHA256,
    KB_CHUNKING,
    KB_FILES_SHA256,
    KB_NAME,
    KB_PREVIEW,
    KB_REVISION,
    KB_SPEC_SHA256,
    KB_TOOL,
    KB_UPLOADS_SHA256,
    RESERVED_PREFIX,
    is_ours,
)
from sync._remote_state import Attributes, RemoteStore, chunking_label

# The keys whose change means the store is not in sync (revision and tool version do not).
COMPARED = (
    KB_NAME,
    KB_SPEC_SHA256,
    KB_FILES_SHA256,
    KB_ATTRIBUTES_SHA256,
    KB_CHUNKING,
    KB_UPLOADS_SHA256,
)
Uploads = Iterable[tuple[str, str]]  # (id, filename) of the key's Files


def uploads_digest(uploads: Uploads, store_id: str) -> str:
    """``kb_uploads_sha256``: sha256 of the sorted ids of the uploads named for the store."""
    ids = sorted(file_id for file_id, name in uploads if is_ours(name, store_id))
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


def attributes_digest(wanted: Mapping[str, Attributes]) -> str:
    """``kb_attributes_sha256``: sha256 of the sorted lines ``[path, attributes]`` (JSON,
    keys sorted)."""
    lines = sorted(
        json.dumps([path, attributes], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        + "\n"
        for path, attributes in wanted.items()
    )
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def stamp_for(
    kb: KnowledgeBase,
    wanted: Mapping[str, Attributes],
    metadata: dict[str, str],
    revision: str | None,
    uploads_sha256: str | None = None,
) -> dict[str, str]:
    """The store metadata after apply: ours replaced, anything else the user set kept (and
    ``kb_preview``, which keeps a preview store out of the main store's choice)."""
    stamp = {
        k: v for k, v in metadata.items() if not k.startswith(RESERVED_PREFIX) or k == KB_PREVIEW
    }
    stamp.update(
        {
            KB_NAME: kb.settings.name,
            KB_SPEC_SHA256: kb.spec.digest,
            KB_FILES_SHA256: kb.files_digest,
            KB_ATTRIBUTES_SHA256: attributes_digest(wanted),
            KB_CHUNKING: chunking_label(kb.settings.chunking),
            KB_TOOL: f"kbsync/{__version__}",
        }
    )
    if revision:
        stamp[KB_REVISION] = revision
    if uploads_sha256 is not None:
        stamp[KB_UPLOADS_SHA256] = uploads_sha256
    return stamp


def stale(metadata: dict[str, str], stamp: dict[str, str]) -> bool:
    """Whether ``metadata`` differs from ``stamp`` in what says "in sync"."""
    return any(metadata.get(key) != stamp[key] for key in COMPARED if key in stamp)


def dirty(metadata: dict[str, str]) -> dict[str, str] | None:
    """The metadata to write before an apply's first write; ``None`` when the stamp
    claims nothing (never stamped, or already marked dirty by a run cut short)."""
    if not metadata.get(KB_FILES_SHA256):
        return None
    return {**metadata, KB_FILES_SHA256: ""}


def trusted(
    kb: KnowledgeBase,
    wanted: Mapping[str, Attributes],
    store: RemoteStore,
    uploads: Callable[[], Uploads],
) -> bool:
    """Whether the stamp, the file counts and the store's own uploads (``uploads()``, read
    only when everything else agrees) prove the store in sync with ``kb``."""
    counts = store.file_counts
    metadata = store.metadata
    return (
        not store.expired
        and metadata.get(KB_FILES_SHA256) == kb.files_digest
        and metadata.get(KB_SPEC_SHA256) == kb.spec.digest
        and metadata.get(KB_ATTRIBUTES_SHA256) == attributes_digest(wanted)
        and counts.completed == counts.total == len(kb.documents)
        and metadata.get(KB_UPLOADS_SHA256) == uploads_digest(uploads(), store.id)
    )
