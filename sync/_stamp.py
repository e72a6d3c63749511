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
  by ``--refresh``, which the kb-sync workflow runs nightly.
"""

from __future__ import annotations

from kbcore import __version__
from kbcore.kb import KnowledgeBase
from kbcore.wire import (
    KB_CHUNKING,
    KB_FILES_SHA256,
    KB_NAME,
    KB_REVISION,
    KB_SPEC_SHA256,
    KB_TOOL,
    RESERVED_PREFIX,
)
from sync._remote_state import RemoteStore, chunking_label

# The keys whose change means the store is not in sync (revision and tool version do not).
COMPARED = (KB_NAME, KB_SPEC_SHA256, KB_FILES_SHA256, KB_CHUNKING)


def stamp_for(kb: KnowledgeBase, metadata: dict[str, str], revision: str | None) -> dict[str, str]:
    """The store metadata after apply: ours replaced, anything else the user set kept."""
    stamp = {k: v for k, v in metadata.items() if not k.startswith(RESERVED_PREFIX)}
    stamp.update(
        {
            KB_NAME: kb.settings.name,
            KB_SPEC_SHA256: kb.spec.digest,
            KB_FILES_SHA256: kb.files_digest,
            KB_CHUNKING: chunking_label(kb.settings.chunking),
            KB_TOOL: f"kbsync/{__version__}",
        }
    )
    if revision:
        stamp[KB_REVISION] = revision
    return stamp


def stale(metadata: dict[str, str], stamp: dict[str, str]) -> bool:
    """Whether ``metadata`` differs from ``stamp`` in what says "in sync"."""
    return any(metadata.get(key) != stamp[key] for key in COMPARED)


def dirty(metadata: dict[str, str]) -> dict[str, str] | None:
    """The metadata to write before an apply's first write; ``None`` when the stamp
    claims nothing (never stamped, or already marked dirty by a run cut short)."""
    if not metadata.get(KB_FILES_SHA256):
        return None
    return {**metadata, KB_FILES_SHA256: ""}


def trusted(kb: KnowledgeBase, store: RemoteStore) -> bool:
    """Whether the stamp and the file counts prove the store in sync with ``kb``."""
    counts = store.file_counts
    return (
        store.metadata.get(KB_FILES_SHA256) == kb.files_digest
        and store.metadata.get(KB_SPEC_SHA256) == kb.spec.digest
        and counts.completed == counts.total == len(kb.documents)
    )
