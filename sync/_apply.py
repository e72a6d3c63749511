"""Carry out a plan, in the order that keeps the KB answerable throughout.

1. create the store if it is missing (stamped ``kb_name`` at once, so a rerun finds it),
   or mark its stamp dirty (``sync/_stamp.py``) before the first write to its files;
2-4. upload new bytes, attach them in file batches, wait for processing (``_ingest``);
5. detach and delete what they supersede, what left git, and stale duplicates
   (unmanaged files only with ``prune_unmanaged``, and then only detached: their
   File may serve other stores, and deletes never reach beyond this store);
6. rewrite the attributes of moved and retagged files;
7. delete the orphaned uploads the plan found (``kbcore/wire.py``: Files kbsync
   uploaded for this store that an interrupted run never attached or never deleted);
8. sweep this store's orphans when an upload's reply may have been lost (``_uploads``);
9. stamp the store (with the digest of its own uploads), only when everything above
   succeeded.

A File another store of the KB still holds (a preview attached it) is detached, never
deleted: deleting it would break the preview (``_uploads``).

An old version is removed only when its replacement is ``completed``, so a document
in git is never missing because of a run. A failure is recorded with its path and
the run goes on with everything else; the report lists the failures. Only an
exhausted quota (``RunStopped``) ends the run at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from kbcore.defaults import CONCURRENCY
from kbcore.errors import RemoteError
from kbcore.output import plural
from kbcore.wire import KB_UPLOADS_SHA256
from sync._changes import UPLOADS, Rewrite, Unmanaged
from sync._ingest import Failure, ingest, parallel
from sync._progress import Progress
from sync._remote import Remote
from sync._remote_errors import RunStopped
from sync._stamp import uploads_digest
from sync._uploads import held_elsewhere, sweep_lost_uploads
from sync.plan import Plan

__all__ = ["ApplyReport", "Failure", "apply"]

T = TypeVar("T")

DEFAULT_DEADLINE = 1800.0  # seconds to wait for processing before giving up on a file
PREVIEW_EXPIRES_DAYS = 7  # a preview store goes this long after its last activity
_ORPHAN = "(orphaned upload)"  # names orphan-delete failures


@dataclass
class ApplyReport:
    store_id: str
    created_store: bool = False
    uploaded: int = 0
    removed: int = 0
    retagged: int = 0
    orphans_deleted: int = 0
    stamped: bool = False
    failures: list[Failure] = field(default_factory=list)  # what this run could not do
    failed: list[Failure] = field(default_factory=list)  # new bytes OpenAI refused for good

    def line(self) -> str:
        parts = [
            f"{plural(self.uploaded, 'file')} uploaded",
            f"{self.removed} removed",
            f"{self.retagged} retagged",
        ]
        if self.orphans_deleted:
            parts.append(f"{plural(self.orphans_deleted, 'orphaned upload')} deleted")
        if self.created_store:
            parts.insert(0, f"vector store {self.store_id} created")
        return "Applied: " + ", ".join(parts) + "."


def apply(
    plan: Plan,
    remote: Remote,
    progress: Progress,
    *,
    concurrency: int = CONCURRENCY,
    prune_unmanaged: bool = False,
    deadline: float = DEFAULT_DEADLINE,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyReport:
    """Apply ``plan`` through ``remote``; never raises for a single file's failure."""
    if plan.store_id is None:
        created = remote.create_store(
            plan.kb_name,
            name=plan.store_name,
            preview=plan.preview,
            expires_after_days=PREVIEW_EXPIRES_DAYS if plan.preview else None,
        )
        report = ApplyReport(created.id, created_store=True)
    else:
        report = ApplyReport(plan.store_id)
        if plan.dirty_mark is not None and plan.touches_files(prune_unmanaged):
            remote.stamp(plan.store_id, plan.dirty_mark)
    store = report.store_id
    unsure = remote.unsure_uploads

    ingested = ingest(
        plan.uploads(),
        remote,
        progress,
        store=store,
        chunking=plan.chunking,
        concurrency=concurrency,
        deadline=deadline,
        sleep=sleep,
    )
    report.uploaded = ingested.uploaded
    # A document OpenAI refused for good is the document's problem, not the run's: its
    # failed copy stays (so the bytes are not sent again) and the store is still stamped.
    report.failures += [f for f in ingested.failures if not f.rejected]
    report.failed += [f for f in ingested.failures if f.rejected]
    ready = ingested.ready

    # (path, file id, whether its File goes too): unmanaged Files, and the main store's
    # Files a preview attached, may serve other stores, so they are only detached.
    doomed: list[tuple[str, str, bool]] = []
    for change in plan.changes:
        if isinstance(change, UPLOADS) and change.path not in ready:
            continue  # keep the old version until a new one is in the store
        if isinstance(change, Unmanaged) and not prune_unmanaged:
            continue
        owned = not isinstance(change, Unmanaged)
        doomed.extend(
            (change.path, file_id, owned and file_id not in plan.shared)
            for file_id in change.remove
        )

    # A File another store of the KB still holds (a preview attached it) is only detached:
    # deleting it would break that store (``_uploads``).
    held = held_elsewhere(remote, plan.kb_name, store, [f for _, f, owned in doomed if owned])
    doomed = [(path, file_id, owned and file_id not in held) for path, file_id, owned in doomed]

    def remove(item: tuple[str, str, bool]) -> None:
        _, file_id, owned = item
        remote.detach(store, file_id)
        if owned:
            remote.delete_file(file_id)

    def rewrite(change: Rewrite) -> None:
        remote.set_attributes(store, change.target, change.attributes)

    report.removed = _each(
        progress, "removed", doomed, lambda i: i[0], remove, concurrency, report.failures
    )
    report.retagged = _each(
        progress,
        "retagged",
        plan.rewrites(),
        lambda c: c.path,
        rewrite,
        concurrency,
        report.failures,
    )
    report.orphans_deleted = _each(
        progress,
        "orphans deleted",
        list(plan.orphans),
        lambda _: _ORPHAN,
        remote.delete_file,
        concurrency,
        report.failures,
    )

    if remote.unsure_uploads > unsure:
        # an upload's reply may have been lost after its File was made: none outlives the run
        try:
            report.orphans_deleted += sweep_lost_uploads(remote, store, plan.kb_name)
        except RunStopped:
            raise
        except RemoteError as error:
            report.failures.append(Failure(_ORPHAN, str(error)))

    if not report.failures:
        kept = plan.held | held
        own = uploads_digest([u for u in remote.list_uploads() if u[0] not in kept], store)
        remote.stamp(store, {**plan.stamp, KB_UPLOADS_SHA256: own})
        report.stamped = True
    return report


def _each(
    progress: Progress,
    label: str,
    items: list[T],
    path_of: Callable[[T], str],
    work: Callable[[T], None],
    concurrency: int,
    failures: list[Failure],
) -> int:
    """Run ``work`` on every item; a failure is recorded under ``path_of(item)``.
    Returns how many succeeded."""
    step = progress.step(label, len(items))
    done = 0
    for item, outcome in parallel(items, work, concurrency):
        step.advance()
        if isinstance(outcome, RemoteError):
            failures.append(Failure(path_of(item), str(outcome)))
        else:
            done += 1
    return done
