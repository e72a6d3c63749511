"""Carry out a plan, in the order that keeps the KB answerable throughout.

1. create the store if it is missing (stamped ``kb_name`` at once, so a rerun finds it);
2. upload new bytes (``concurrency`` at a time);
3. attach them in file batches (≤ 2000 each) with their whole attribute map;
4. wait for processing, with a deadline (honouring ``openai-poll-after-ms``);
5. detach and delete what they supersede, what left git, and stale duplicates
   (unmanaged files only with ``prune_unmanaged``, and then only detached: their
   File may serve other stores, and deletes never reach beyond this store);
6. rewrite the attributes of moved and retagged files;
7. stamp the store, only when everything above succeeded.

An old version is removed only when its replacement is ``completed``, so a document
in git is never missing because of a run. A failure is recorded with its path and
the run goes on with everything else; the report lists the failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

from sync._output import plural
from sync._progress import Progress
from sync._remote import BatchStatus, Remote
from sync._remote_state import RemoteFile
from sync.errors import RemoteError
from sync.plan import RETAGGING, UPLOADING, Action, Change, Plan, attributes_for

T = TypeVar("T")
R = TypeVar("R")

BATCH_LIMIT = 2000
DEFAULT_DEADLINE = 1800.0  # seconds to wait for processing before giving up on a file


@dataclass(frozen=True)
class Failure:
    path: str
    error: str


@dataclass
class ApplyReport:
    store_id: str
    created_store: bool = False
    uploaded: int = 0
    removed: int = 0
    retagged: int = 0
    stamped: bool = False
    failures: list[Failure] = field(default_factory=list)

    def line(self) -> str:
        parts = [
            f"{plural(self.uploaded, 'file')} uploaded",
            f"{self.removed} removed",
            f"{self.retagged} retagged",
        ]
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

    uploads = plan.of(*UPLOADING)
    new_files: dict[str, Change] = {}  # new file id -> its change
    step = progress.step("uploaded", len(uploads))
    for change, outcome in _parallel(uploads, _uploader(remote), concurrency, step.advance):
        if isinstance(outcome, RemoteError):
            report.failures.append(Failure(change.path, str(outcome)))
        else:
            new_files[outcome] = change
    report.uploaded = len(new_files)

    ready = _attach_and_wait(plan, remote, progress, store, new_files, report, deadline, sleep)

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

    step = progress.step("removed", len(doomed))
    for (change, _), removal in _parallel(doomed, remove, concurrency, step.advance):
        if isinstance(removal, RemoteError):
            report.failures.append(Failure(change.path, str(removal)))
        else:
            report.removed += 1

    def retag(change: Change) -> None:
        assert change.target is not None
        assert change.document is not None
        remote.set_attributes(store, change.target, attributes_for(change.document))

    retags = plan.of(*RETAGGING)
    step = progress.step("retagged", len(retags))
    for change, rewrite in _parallel(retags, retag, concurrency, step.advance):
        if isinstance(rewrite, RemoteError):
            report.failures.append(Failure(change.path, str(rewrite)))
        else:
            report.retagged += 1

    if not report.failures:
        remote.stamp(store, plan.stamp)
        report.stamped = True
    return report


def _uploader(remote: Remote) -> Callable[[Change], str]:
    def upload(change: Change) -> str:
        assert change.document is not None
        name = change.document.path.rsplit("/", 1)[-1]
        return remote.upload(change.document.abs_path, name)

    return upload


def _attach_and_wait(
    plan: Plan,
    remote: Remote,
    progress: Progress,
    store: str,
    new_files: dict[str, Change],
    report: ApplyReport,
    deadline: float,
    sleep: Callable[[float], None],
) -> set[str]:
    """Attach the uploaded files, wait for them; returns the paths now ``completed``."""
    if not new_files:
        return set()
    ids = list(new_files)
    batches: list[tuple[str, list[str]]] = []
    statuses: dict[str, BatchStatus] = {}
    for start in range(0, len(ids), BATCH_LIMIT):
        chunk = ids[start : start + BATCH_LIMIT]
        entries = []
        for file_id in chunk:
            document = new_files[file_id].document
            assert document is not None
            entries.append((file_id, attributes_for(document)))
        try:
            batch_id, statuses[batch_id] = remote.attach(store, entries, plan.chunking)
        except RemoteError as error:
            report.failures += [Failure(new_files[f].path, str(error)) for f in chunk]
            continue
        batches.append((batch_id, chunk))

    step = progress.step("processed", sum(len(chunk) for _, chunk in batches))
    give_up = time.monotonic() + deadline
    while True:
        step.update(sum(s.completed + s.failed for s in statuses.values()))
        waiting = [b for b, s in statuses.items() if s.in_progress]
        if not waiting:
            break
        pause = min(max(statuses[b].poll_after, 0.02) for b in waiting)
        if time.monotonic() + pause > give_up:
            break
        sleep(min(pause, 5.0))
        for batch_id in waiting:
            statuses[batch_id] = remote.batch_status(store, batch_id)
    unclean = {b for b, s in statuses.items() if s.in_progress or s.failed}

    ready = {new_files[f].path for _, chunk in batches for f in chunk}
    for batch_id, chunk in batches:
        if batch_id not in unclean:
            continue
        states: dict[str, RemoteFile] = {f.id: f for f in remote.batch_files(store, batch_id)}
        for file_id in chunk:
            state = states.get(file_id)
            if state is not None and state.status == "completed":
                continue
            path = new_files[file_id].path
            ready.discard(path)
            report.failures.append(Failure(path, _why(state, deadline)))
    return ready


def _why(state: RemoteFile | None, deadline: float) -> str:
    if state is None:
        return "the file is missing from its batch"
    if state.status == "in_progress":
        return f"still processing after {deadline:g} s; run kbsync again later"
    return f"processing {state.status}: {state.last_error or 'no error given'}"


def _parallel(
    items: Sequence[T],
    work: Callable[[T], R],
    concurrency: int,
    done: Callable[[int], None],
) -> Iterable[tuple[T, R | RemoteError]]:
    """Run ``work`` over ``items`` with at most ``concurrency`` at once; yields in item order.

    A ``RemoteError`` is returned as the outcome; anything else (a bug, Ctrl-C) stops
    the pool without starting the rest."""
    if not items:
        return []
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="kbsync")
    futures: dict[Future[R], int] = {}
    try:
        futures = {pool.submit(work, item): i for i, item in enumerate(items)}
        outcomes: list[R | RemoteError] = [RemoteError("not run")] * len(items)
        for future in as_completed(futures):
            try:
                outcomes[futures[future]] = future.result()
            except RemoteError as error:
                outcomes[futures[future]] = error
            done(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return list(zip(items, outcomes, strict=True))
