"""Carry out a plan, in the order that keeps the KB answerable throughout.

1. create the store if it is missing (stamped ``kb_name`` at once, so a rerun finds it);
2-4. upload new bytes, attach them in file batches, wait for processing (``_ingest``);
5. detach and delete what they supersede, what left git, and stale duplicates
   (unmanaged files only with ``prune_unmanaged``, and then only detached: their
   File may serve other stores, and deletes never reach beyond this store);
6. rewrite the attributes of moved and retagged files;
7. delete the orphaned uploads the plan found (``sync/_orphans.py``: Files kbsync
   uploaded for this store that an interrupted run never attached or never deleted);
8. stamp the store, only when everything above succeeded.

An old version is removed only when its replacement is ``completed``, so a document
in git is never missing because of a run. A failure is recorded with its path and
the run goes on with everything else; the report lists the failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kbcore.errors import RemoteError
from kbcore.output import plural
from sync._ingest import Failure, ingest, parallel
from sync._progress import Progress
from sync._remote import Remote
from sync.plan import RETAGGING, UPLOADING, Action, Change, Plan, attributes_for

__all__ = ["ApplyReport", "Failure", "apply"]

DEFAULT_DEADLINE = 1800.0  # seconds to wait for processing before giving up on a file
_ORPHAN = Change(Action.DELETE, "(orphaned upload)")  # names orphan-delete failures


@dataclass
class ApplyReport:
    store_id: str
    created_store: bool = False
    uploaded: int = 0
    removed: int = 0
    retagged: int = 0
    orphans_deleted: int = 0
    stamped: bool = False
    failures: list[Failure] = field(default_factory=list)

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
    concurrency: int = 8,
    prune_unmanaged: bool = False,
    deadline: float = DEFAULT_DEADLINE,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyReport:
    """Apply ``plan`` through ``remote``; never raises for a single file's failure."""
    if plan.store_id is None:
        report = ApplyReport(remote.create_store(plan.kb_name).id, created_store=True)
    else:
        report = ApplyReport(plan.store_id)
    store = report.store_id

    ingested = ingest(
        plan.of(*UPLOADING),
        remote,
        progress,
        store=store,
        chunking=plan.chunking,
        concurrency=concurrency,
        deadline=deadline,
        sleep=sleep,
    )
    report.uploaded = ingested.uploaded
    report.failures += ingested.failures
    ready = ingested.ready

    doomed: list[tuple[Change, str]] = []
    for change in plan.changes:
        if change.action in UPLOADING and change.path not in ready:
            continue  # keep the old version until a new one is in the store
        if change.action is Action.UNMANAGED and not prune_unmanaged:
            continue
        doomed.extend((change, file_id) for file_id in change.remove)

    def remove(item: tuple[Change, str]) -> None:
        change, file_id = item
        remote.detach(store, file_id)
        if change.action is not Action.UNMANAGED:
            remote.delete_file(file_id)

    def retag(item: tuple[Change, str]) -> None:
        change, file_id = item
        assert change.document is not None
        remote.set_attributes(store, file_id, attributes_for(change.document))

    retags = [(c, c.target) for c in plan.of(*RETAGGING) if c.target is not None]
    report.removed = _each(progress, "removed", doomed, remove, concurrency, report.failures)
    report.retagged = _each(progress, "retagged", retags, retag, concurrency, report.failures)
    orphans = [(_ORPHAN, file_id) for file_id in plan.orphans]
    report.orphans_deleted = _each(
        progress,
        "orphans deleted",
        orphans,
        lambda item: remote.delete_file(item[1]),
        concurrency,
        report.failures,
    )

    if not report.failures:
        remote.stamp(store, plan.stamp)
        report.stamped = True
    return report


def _each(
    progress: Progress,
    label: str,
    items: list[tuple[Change, str]],
    work: Callable[[tuple[Change, str]], None],
    concurrency: int,
    failures: list[Failure],
) -> int:
    """Run ``work`` on every (change, file id); returns how many succeeded."""
    step = progress.step(label, len(items))
    done = 0
    for (change, _), outcome in parallel(items, work, concurrency):
        step.advance()
        if isinstance(outcome, RemoteError):
            failures.append(Failure(change.path, str(outcome)))
        else:
            done += 1
    return done
