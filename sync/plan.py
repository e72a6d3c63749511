"""The plan: what a sync would change in the vector store, as a value.

``diff(kb, remote)`` compares the knowledge base on disk with what the store holds
and returns a ``Plan`` of changes (``sync/_changes.py``: one kind per action, each with
its final attributes); rendering (``_render``), checking (``_safety``) and applying
(``_apply``) are separate. An in-sync KB gives a plan with no changes.

Example::

    plan = diff(load_kb(Path("kb")), remote_state)
    plan.summary()   # {"create": 1, "update": 0, ...}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kbcore.kb import Chunking, Document, KnowledgeBase
from kbcore.wire import (
    KB_CHUNKING,
    KB_SPEC_SHA256,
    KB_UPLOADS_SHA256,
    preview_store_name,
    store_name,
)
from sync._changes import (
    REWRITES,
    UPLOADS,
    Action,
    Change,
    Create,
    Delete,
    Duplicate,
    Failed,
    Move,
    Rechunk,
    Retag,
    Retry,
    Rewrite,
    Unmanaged,
    Update,
    Upload,
    attributes_for,
    desired,
    file_ids,
)
from sync._remote_state import (
    Attributes,
    RemoteFile,
    RemoteState,
    RemoteStore,
    chunking_label,
    effective_chunking,
)
from sync._stamp import dirty, stale, stamp_for

__all__ = [
    "Action",
    "Change",
    "Plan",
    "attributes_for",
    "desired",
    "diff",
    "file_ids",
    "settled",
]


@dataclass(frozen=True)
class Plan:
    kb_name: str
    store_id: str | None  # None: the store does not exist yet and will be created
    changes: tuple[Change, ...]
    spec_changed: bool  # instructions/settings differ from the stamp
    stamp: dict[str, str]  # the store's metadata after a successful apply
    stamp_stale: bool  # the stamp differs (besides revision and tool version)
    remote_files: int  # files in the store now
    documents: int  # documents in kb/files
    chunking: Chunking | None = None  # the chunking to attach with (None: auto)
    orphans: tuple[str, ...] = ()  # Files kbsync uploaded for this store, attached nowhere
    dirty_mark: dict[str, str] | None = None  # written before the first write (``_stamp``)
    listed: bool = True  # False: planned from the stamp alone (the fast path)
    preview: str | None = None  # ``pr-N``: a pull request's preview store (``kb_preview``)
    shared: frozenset[str] = frozenset()  # Files another store uses: detached, never deleted
    held: frozenset[str] = frozenset()  # own uploads let go of that another store holds

    @property
    def store_name(self) -> str:
        return (
            preview_store_name(self.kb_name, self.preview)
            if self.preview
            else store_name(self.kb_name)
        )

    @property
    def pending(self) -> bool:
        """Whether applying (without ``--prune-unmanaged``) would write anything."""
        return self.writes(prune_unmanaged=False)

    def writes(self, *, prune_unmanaged: bool) -> bool:
        """Whether applying would write: changes (unmanaged files count only when pruned),
        a new store, a stale stamp, or orphaned uploads to delete."""
        return self.store_id is None or self.stamp_stale or self.touches_files(prune_unmanaged)

    def touches_files(self, prune_unmanaged: bool) -> bool:
        """Whether applying would write anything besides the store and its stamp."""
        idle = {Action.FAILED} if prune_unmanaged else {Action.FAILED, Action.UNMANAGED}
        return any(c.action not in idle for c in self.changes) or bool(self.orphans)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys((a.value for a in Action), 0)
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    def of(self, *actions: Action) -> list[Change]:
        return [c for c in self.changes if c.action in actions]

    def uploads(self) -> list[Upload]:
        """The changes that put new bytes in the store."""
        return [c for c in self.changes if isinstance(c, UPLOADS)]

    def rewrites(self) -> list[Rewrite]:
        """The changes that rewrite a file's attributes in place."""
        return [c for c in self.changes if isinstance(c, REWRITES)]

    def failed(self) -> list[Failed]:
        """The documents OpenAI refused for good (not sent again while their bytes stay)."""
        return [c for c in self.changes if isinstance(c, Failed)]


def diff(
    kb: KnowledgeBase,
    remote: RemoteState,
    *,
    revision: str | None = None,
    wanted: Mapping[str, Attributes] | None = None,
) -> Plan:
    """Compare ``kb`` with ``remote``; ``revision`` (a git commit) only goes into the stamp;
    ``wanted``: ``desired(kb)`` when the caller has it already."""
    metadata = remote.store.metadata if remote.store else {}
    wanted_chunking = effective_chunking(kb.settings.chunking)
    stamped_chunking = metadata.get(KB_CHUNKING)
    label = chunking_label(kb.settings.chunking)
    # Each document's attribute map is computed once (``desired``); every change carries it.
    wanted = desired(kb) if wanted is None else wanted

    def chunking_ok(file: RemoteFile) -> bool:
        if file.chunking is not None:
            return file.chunking == wanted_chunking
        return stamped_chunking is None or stamped_chunking == label

    groups: dict[str, list[RemoteFile]] = defaultdict(list)
    changes: list[Change] = []
    for file in remote.files:
        if file.path is not None and file.managed:
            groups[file.path].append(file)
        else:
            changes.append(Unmanaged(file.filename or file.id, (file.id,)))

    # Paths gone from git whose current bytes are usable can become the source of a move.
    movable: dict[str, list[tuple[str, RemoteFile]]] = defaultdict(list)
    for path in sorted(set(groups) - {d.path for d in kb.documents}):
        keeper = _newest(f for f in groups[path] if f.status == "completed" and chunking_ok(f))
        if keeper is None or keeper.sha256 is None:
            changes.append(Delete(path, _ids(groups[path])))
            continue
        movable[keeper.sha256].append((path, keeper))

    for document in kb.documents:
        attributes = wanted[document.path]
        if document.path in groups:
            changes.extend(_compare(document, attributes, groups[document.path], chunking_ok))
            continue
        sources = movable.get(document.sha256)
        if not sources:
            changes.append(Create(document.path, document, attributes))
            continue
        from_path, keeper = sources.pop(0)
        changes.append(Move(document.path, from_path, keeper.id, attributes))
        changes.extend(Duplicate(from_path, (f.id,)) for f in groups[from_path] if f is not keeper)
    for sources in movable.values():
        changes.extend(Delete(p, _ids(groups[p])) for p, _ in sources)

    order = {a: i for i, a in enumerate(Action)}
    changes.sort(key=lambda c: (c.path, order[c.action], c.remove))
    stamp = stamp_for(kb, wanted, metadata, revision, remote.uploads_sha256)
    return Plan(
        kb_name=kb.settings.name,
        store_id=remote.store.id if remote.store else None,
        changes=tuple(changes),
        spec_changed=metadata.get(KB_SPEC_SHA256) != kb.spec.digest,
        stamp=stamp,
        stamp_stale=stale(metadata, stamp),
        remote_files=len(remote.files),
        documents=len(kb.documents),
        chunking=kb.settings.chunking,
        orphans=remote.orphans,
        dirty_mark=dirty(metadata),
        held=frozenset(remote.held),
    )


def settled(
    kb: KnowledgeBase,
    store: RemoteStore,
    wanted: Mapping[str, Attributes],
    *,
    revision: str | None = None,
) -> Plan:
    """The plan of a store whose stamp proves it in sync (``_stamp.trusted``): no changes,
    built without listing its files."""
    stamp = stamp_for(kb, wanted, store.metadata, revision, store.metadata.get(KB_UPLOADS_SHA256))
    return Plan(
        kb_name=kb.settings.name,
        store_id=store.id,
        changes=(),
        spec_changed=False,
        stamp=stamp,
        stamp_stale=stale(store.metadata, stamp),
        remote_files=store.file_counts.total,
        documents=len(kb.documents),
        chunking=kb.settings.chunking,
        dirty_mark=dirty(store.metadata),
        listed=False,
    )


def _compare(
    document: Document,
    attributes: Attributes,
    files: list[RemoteFile],
    chunking_ok: Callable[[RemoteFile], bool],
) -> list[Change]:
    path = document.path
    current = [f for f in files if f.sha256 == document.sha256]
    # Prefer a copy with the right chunking, so a rechunk cut short is not redone.
    keeper = max(
        (f for f in current if f.status == "completed"),
        key=lambda f: (chunking_ok(f), f.created_at, f.id),
        default=None,
    )
    if keeper is None:
        rejected = _newest(f for f in current if f.rejected)
        if rejected is not None:
            # One failed copy stays as the proof that these bytes were tried; an older
            # edition that still answers stays too, until the document is fixed.
            stand_in = _newest(f for f in files if f.status == "completed")
            kept = {rejected.id, stand_in.id if stand_in else rejected.id}
            return [
                Failed(path, rejected.id, str(rejected.last_error)),
                *(Duplicate(path, (f.id,)) for f in files if f.id not in kept),
            ]
        failed = _newest(f for f in current if f.status == "failed")
        if failed is not None:
            error = str(failed.last_error) if failed.last_error else "processing failed"
            return [Retry(path, document, attributes, _ids(files), error)]
        return [Update(path, document, attributes, _ids(files))]
    changes: list[Change] = [Duplicate(path, (f.id,)) for f in files if f is not keeper]
    if not chunking_ok(keeper):
        changes.append(Rechunk(path, document, attributes, (keeper.id,)))
    elif keeper.attributes != attributes:
        changes.append(Retag(path, keeper.id, attributes, dict(keeper.attributes)))
    return changes


def _newest(files: Iterable[RemoteFile]) -> RemoteFile | None:
    return max(files, key=lambda f: (f.created_at, f.id), default=None)


def _ids(files: list[RemoteFile]) -> tuple[str, ...]:
    return tuple(sorted(f.id for f in files))
