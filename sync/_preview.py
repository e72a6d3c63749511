"""A pull request's preview store: the PR's ``kb/`` in a store of its own, built with the
same plan and apply as the main store, re-using the main store's Files.

- The store: ``kb:<name>#pr-N``, metadata ``kb_name`` and ``kb_preview: pr-N`` (so that
  ``kbcore.store`` never takes it for the KB's store), expiring 7 days after its last
  activity (``_apply.PREVIEW_EXPIRES_DAYS``).
- A document whose bytes the main store already holds (a ``completed`` file there) is
  attached by that File's id: only new or changed documents are uploaded. The main
  store's Files are ``shared``: the preview detaches them, never deletes them.
- Re-running after a push plans the preview like a sync (the stamp fast path included).
  A preview unused for its whole expiry (7 days) has expired: searches and answers on it
  fail, so planning removes it (store and own Files) and plans a new one from scratch.
- ``delete_preview`` removes the store, then every File only it used: its own uploads,
  attached or orphaned (named for the preview store, ``kbcore/wire.py``), never one of
  the main store's. ``delete_previews`` does so for every store of the pull request,
  whatever KB name it carries (the pull request may have renamed the KB).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from kbcore.kb import KnowledgeBase
from kbcore.output import info
from kbcore.wire import KB_NAME, KB_PREVIEW, orphans, preview_label
from sync._changes import Change, Create, Retry, Update
from sync._remote import Remote
from sync._remote_state import RemoteFile, RemoteStore
from sync._run import git_revision
from sync._stamp import trusted
from sync._uploads import held_elsewhere, remote_state
from sync.plan import Plan, desired, diff, settled


def plan_preview(kb: KnowledgeBase, remote: Remote, pr: int, *, refresh: bool = False) -> Plan:
    """The plan of pull request ``pr``'s preview store (created by apply when missing)."""
    label = preview_label(pr)
    name = kb.settings.name
    remote.check_model(kb.settings.model)
    preview = remote.find_preview(name, label)
    if preview is not None and preview.expired:
        # Unused for its whole expiry, it refuses searches and answers: it is removed
        # (the one write of planning) and built again, never reused.
        _remove(name, remote, preview)
        info(f"Preview store {preview.id} had expired (unused too long); building a new one.")
        preview = None
    revision = git_revision(kb.root)
    wanted = desired(kb)
    if preview is not None and not refresh and trusted(kb, wanted, preview, remote.list_uploads):
        return _as_preview(settled(kb, preview, wanted, revision=revision), label)
    main = remote.find_store(name)
    main_files = remote.list_files(main.id) if main else []
    files = remote.list_files(preview.id) if preview else []
    state = remote_state(remote, preview, files, name)
    plan = diff(kb, state, revision=revision, wanted=wanted)
    attached = {f.id for f in files}
    changes = _reusing(plan.changes, main_files, attached)
    shared = frozenset(f.id for f in main_files)
    return _as_preview(replace(plan, changes=changes, shared=shared), label)


def _as_preview(plan: Plan, label: str) -> Plan:
    """``plan`` for the preview store ``label``: its stamp keeps ``kb_preview`` (a store
    created by the apply has none to keep yet), which keeps it out of the main choice."""
    return replace(plan, preview=label, stamp={**plan.stamp, KB_PREVIEW: label})


def _reusing(
    changes: Iterable[Change], main_files: Iterable[RemoteFile], attached: set[str]
) -> tuple[Change, ...]:
    """``changes`` with each upload whose bytes the main store holds pointed at its File.

    A File can sit in a store once: one already attached to the preview, or given to an
    earlier document with the same bytes, is not offered again (that one is uploaded)."""
    offered: dict[str, str] = {}  # sha256 -> the main store's File with those bytes
    for file in sorted(main_files, key=lambda f: (f.created_at, f.id), reverse=True):
        if file.status == "completed" and file.sha256 and file.id not in attached:
            offered.setdefault(file.sha256, file.id)
    result: list[Change] = []
    for change in changes:
        if isinstance(change, Create | Update | Retry) and change.document.sha256 in offered:
            change = replace(change, reuse=offered.pop(change.document.sha256))
        result.append(change)
    return tuple(result)


@dataclass(frozen=True)
class Deleted:
    store_id: str | None  # None: there was no preview store
    files_deleted: int
    files_kept: int  # the main store's Files it had attached


def delete_preview(kb_name: str, remote: Remote, pr: int) -> Deleted:
    """Delete pull request ``pr``'s preview store and the Files only it used."""
    preview = remote.find_preview(kb_name, preview_label(pr))
    if preview is None:
        return Deleted(None, 0, 0)
    return _remove(kb_name, remote, preview)


def delete_previews(kb_name: str, remote: Remote, pr: int) -> tuple[Deleted, ...]:
    """Delete every preview store of pull request ``pr`` and the Files only it used,
    found by number whatever KB name it carries: the pull request may have renamed the
    KB, and the job that deletes its previews knows only the base branch's name
    (``kb_name``, used for a store that carries none). Each keeps its own KB's Files."""
    label = preview_label(pr)
    previews = sorted(
        (s for s in remote.list_stores() if s.metadata.get(KB_PREVIEW) == label),
        key=lambda s: s.id,
    )
    return tuple(_remove(s.metadata.get(KB_NAME) or kb_name, remote, s) for s in previews)


def _remove(kb_name: str, remote: Remote, preview: RemoteStore) -> Deleted:
    main = remote.find_store(kb_name)
    kept = {f.id for f in remote.list_files(main.id)} if main else set()
    attached = [f.id for f in remote.list_files(preview.id)]
    # Uploads for this store that an interrupted run never attached go too.
    lost = orphans(remote.list_uploads(), preview.id, attached)
    remote.delete_store(preview.id)
    candidates = {*attached, *lost} - kept
    # a main-store File the main store let go while this preview held it: another
    # preview may hold it still
    doomed = sorted(candidates - held_elsewhere(remote, kb_name, preview.id, candidates))
    for file_id in doomed:
        remote.delete_file(file_id)
    return Deleted(preview.id, len(doomed), len(set(attached) & kept))
