"""The plan: what a sync would change in the vector store, as a value.

``diff(kb, remote)`` compares the knowledge base on disk with what the store holds
and returns a ``Plan``; rendering (``_render``), checking (``_safety``) and applying
(``_apply``) are separate. An in-sync KB gives a plan with no changes.

Example::

    plan = diff(load_kb(Path("kb")), remote_state)
    plan.summary()   # {"create": 1, "update": 0, ...}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from kbcore import __version__
from kbcore.kb import Chunking, Document, KnowledgeBase
from sync._remote_state import (
    AttributeValue,
    RemoteFile,
    RemoteState,
    chunking_label,
    effective_chunking,
)


class Action(StrEnum):
    """The kinds of change, in the order summaries list them."""

    CREATE = "create"  # a new path: upload and attach
    UPDATE = "update"  # same path, new bytes: upload, attach, then remove the old version
    MOVE = "move"  # same bytes, new path: rewrite the attributes, no upload
    DELETE = "delete"  # the path is gone from git: remove its files
    RETRY = "retry"  # the current bytes failed processing: upload again
    RETAG = "retag"  # user attributes changed: rewrite the attributes
    DUPLICATE = "duplicate"  # a stale second file for one path (an interrupted run): remove it
    UNMANAGED = "unmanaged"  # not added by kbsync: shown; removed only with --prune-unmanaged
    RECHUNK = "rechunk"  # chunking changed: attach a fresh copy, then remove the old one


UPLOADING = frozenset({Action.CREATE, Action.UPDATE, Action.RETRY, Action.RECHUNK})
RETAGGING = frozenset({Action.MOVE, Action.RETAG})


@dataclass(frozen=True)
class Change:
    action: Action
    path: str  # the document's path (for unmanaged: the File's name, else its id)
    document: Document | None = None  # what to upload or how to tag (not for delete etc.)
    remove: tuple[str, ...] = ()  # file ids to detach and delete once the new version is ready
    target: str | None = None  # the file whose attributes move/retag rewrite
    from_path: str | None = None  # move: where the bytes were
    error: str | None = None  # retry: the store's last_error
    attributes_before: dict[str, AttributeValue] | None = None  # retag: what the store has

    @property
    def file_ids(self) -> tuple[str, ...]:
        """The remote files this change touches, for display."""
        return (self.target,) if self.target else self.remove


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
    desired_attributes: dict[str, dict[str, AttributeValue]] = field(default_factory=dict)
    orphans: tuple[str, ...] = ()  # Files kbsync uploaded for this store, attached nowhere

    @property
    def store_name(self) -> str:
        return f"kb:{self.kb_name}"

    @property
    def pending(self) -> bool:
        """Whether applying (without ``--prune-unmanaged``) would write anything."""
        return self.writes(prune_unmanaged=False)

    def writes(self, *, prune_unmanaged: bool) -> bool:
        """Whether applying would write: changes (unmanaged files count only when pruned),
        a new store, a stale stamp, or orphaned uploads to delete."""
        acting = (c for c in self.changes if prune_unmanaged or c.action is not Action.UNMANAGED)
        return any(acting) or self.store_id is None or self.stamp_stale or bool(self.orphans)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys((a.value for a in Action), 0)
        for change in self.changes:
            counts[change.action.value] += 1
        return counts

    def of(self, *actions: Action) -> list[Change]:
        return [c for c in self.changes if c.action in actions]


def attributes_for(document: Document) -> dict[str, AttributeValue]:
    """The full attribute map of a document's vector-store file (always sent whole)."""
    return {**document.attributes, "kb_path": document.path, "kb_sha256": document.sha256}


def diff(kb: KnowledgeBase, remote: RemoteState, *, revision: str | None = None) -> Plan:
    """Compare ``kb`` with ``remote``; ``revision`` (a git commit) only goes into the stamp."""
    documents = kb.by_path()
    metadata = remote.store.metadata if remote.store else {}
    wanted_chunking = effective_chunking(kb.settings.chunking)
    stamped_chunking = metadata.get("kb_chunking")
    label = chunking_label(kb.settings.chunking)

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
            name = file.filename or file.id
            changes.append(Change(Action.UNMANAGED, name, remove=(file.id,)))

    # Paths gone from git whose current bytes are usable can become the source of a move.
    movable: dict[str, list[tuple[str, RemoteFile]]] = defaultdict(list)
    for path in sorted(set(groups) - set(documents)):
        keeper = _newest(f for f in groups[path] if f.status == "completed" and chunking_ok(f))
        if keeper is None:
            changes.append(Change(Action.DELETE, path, remove=_ids(groups[path])))
            continue
        assert keeper.sha256 is not None
        movable[keeper.sha256].append((path, keeper))

    for document in kb.documents:
        if document.path in groups:
            changes.extend(_compare(document, groups[document.path], chunking_ok))
            continue
        sources = movable.get(document.sha256)
        if not sources:
            changes.append(Change(Action.CREATE, document.path, document=document))
            continue
        from_path, keeper = sources.pop(0)
        changes.append(
            Change(Action.MOVE, document.path, document, target=keeper.id, from_path=from_path)
        )
        changes.extend(
            Change(Action.DUPLICATE, from_path, remove=(f.id,))
            for f in groups[from_path]
            if f is not keeper
        )
    for sources in movable.values():
        changes.extend(Change(Action.DELETE, p, remove=_ids(groups[p])) for p, _ in sources)

    order = {a: i for i, a in enumerate(Action)}
    changes.sort(key=lambda c: (c.path, order[c.action], c.remove))
    stamp = _stamp(kb, metadata, revision)
    ours = ("kb_name", "kb_spec_sha256", "kb_files_sha256", "kb_chunking")
    return Plan(
        kb_name=kb.settings.name,
        store_id=remote.store.id if remote.store else None,
        changes=tuple(changes),
        spec_changed=metadata.get("kb_spec_sha256") != kb.spec.digest,
        stamp=stamp,
        stamp_stale=any(metadata.get(k) != stamp[k] for k in ours),
        remote_files=len(remote.files),
        documents=len(kb.documents),
        chunking=kb.settings.chunking,
        desired_attributes={d.path: attributes_for(d) for d in kb.documents},
        orphans=remote.orphans,
    )


def _compare(
    document: Document, files: list[RemoteFile], chunking_ok: Callable[[RemoteFile], bool]
) -> list[Change]:
    current = [f for f in files if f.sha256 == document.sha256]
    # Prefer a copy with the right chunking, so a rechunk cut short is not redone.
    keeper = max(
        (f for f in current if f.status == "completed"),
        key=lambda f: (chunking_ok(f), f.created_at, f.id),
        default=None,
    )
    if keeper is None:
        failed = _newest(f for f in current if f.status == "failed")
        if failed is not None:
            return [
                Change(Action.RETRY, document.path, document, _ids(files), error=failed.last_error)
            ]
        return [Change(Action.UPDATE, document.path, document, remove=_ids(files))]
    changes = [
        Change(Action.DUPLICATE, document.path, remove=(f.id,)) for f in files if f is not keeper
    ]
    if not chunking_ok(keeper):
        changes.append(Change(Action.RECHUNK, document.path, document, remove=(keeper.id,)))
    elif keeper.attributes != attributes_for(document):
        changes.append(
            Change(
                Action.RETAG,
                document.path,
                document,
                target=keeper.id,
                attributes_before=dict(keeper.attributes),
            )
        )
    return changes


def _newest(files: Iterable[RemoteFile]) -> RemoteFile | None:
    return max(files, key=lambda f: (f.created_at, f.id), default=None)


def _ids(files: list[RemoteFile]) -> tuple[str, ...]:
    return tuple(sorted(f.id for f in files))


def _stamp(kb: KnowledgeBase, metadata: dict[str, str], revision: str | None) -> dict[str, str]:
    """The store metadata after apply: ours replaced, anything else the user set kept."""
    stamp = {k: v for k, v in metadata.items() if not k.startswith("kb_")}
    stamp.update(
        kb_name=kb.settings.name,
        kb_spec_sha256=kb.spec.digest,
        kb_files_sha256=kb.files_digest,
        kb_chunking=chunking_label(kb.settings.chunking),
        kb_tool=f"kbsync/{__version__}",
    )
    if revision:
        stamp["kb_revision"] = revision
    return stamp
