"""Get new bytes into the store: upload, attach in file batches, wait for processing.

Uploads run ``concurrency`` at a time; the finished ones are attached in batches
(≤ 2000 files, each with its whole attribute map) while the rest are still uploading,
so that processing overlaps uploading. Waiting honours ``openai-poll-after-ms`` and
ends at a deadline. The result says which paths are now ``completed`` in the store;
every other file is a ``Failure`` with its path and reason.

Uploads are eventually consistent: a File a few seconds old can be ``404 No file found``
to a batch, which then attaches nothing. Such a batch is sent again after a growing
pause while the File it names is young (``YOUNG_FOR`` seconds since its upload); a File
still unknown after that is left out, reported, and the rest of the batch attached. A
young File is never deleted as if it were lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TypeVar

from kbcore.errors import RemoteError
from kbcore.kb import Chunking, open_for_upload
from kbcore.wire import upload_name
from sync._changes import Upload
from sync._progress import Progress
from sync._remote import BatchStatus, Remote
from sync._remote_errors import FileNotFound, RunStopped
from sync._remote_state import Attributes, RemoteFile

T = TypeVar("T")
R = TypeVar("R")

BATCH_LIMIT = 2000
BATCHES_WHILE_UPLOADING = 4  # attach about this many batches as uploads finish...
MIN_BATCH = 100  # ...but small syncs in one batch
YOUNG_FOR = 60.0  # seconds after its upload during which a File's 404 is waited out
FIRST_PAUSE = 0.25  # seconds; doubled on each repeat of one batch...
LONGEST_PAUSE = 4.0  # ...up to this


@dataclass(frozen=True)
class Failure:
    path: str
    error: str
    rejected: bool = False  # processing failed for good: these bytes will never work


@dataclass
class Ingested:
    uploaded: int = 0
    ready: set[str] = field(default_factory=set)  # paths whose new file is completed
    failures: list[Failure] = field(default_factory=list)


def ingest(
    changes: Sequence[Upload],
    remote: Remote,
    progress: Progress,
    *,
    store: str,
    chunking: Chunking | None,
    concurrency: int,
    deadline: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Ingested:
    """Upload and attach the document of each change; wait until processed or ``deadline``."""
    result = Ingested()
    if not changes:
        return result
    size = min(BATCH_LIMIT, max(MIN_BATCH, math.ceil(len(changes) / BATCHES_WHILE_UPLOADING)))
    new_files: dict[str, Upload] = {}  # new file id -> its change
    batches: dict[str, list[str]] = {}  # batch id -> its file ids
    statuses: dict[str, BatchStatus] = {}
    pending: list[str] = []

    uploaded_at: dict[str, float] = {}  # new file id -> when its upload finished

    def attach() -> None:
        chunk = list(pending)
        pending.clear()
        pause = FIRST_PAUSE
        while chunk:
            entries = [(file_id, new_files[file_id].attributes) for file_id in chunk]
            try:
                batch_id, statuses[batch_id] = remote.attach(store, entries, chunking)
            except FileNotFound as missing:
                file_id = missing.file_id
                if file_id not in chunk:  # not a File of this batch: nothing to wait for
                    fail_all(chunk, str(missing))
                    return
                age = time.monotonic() - uploaded_at.get(file_id, -YOUNG_FOR)
                if age < YOUNG_FOR:
                    sleep(min(pause, YOUNG_FOR - age))
                    pause = min(pause * 2, LONGEST_PAUSE)
                    continue
                chunk.remove(file_id)
                why = (
                    f"the API still does not know file {file_id} {age:.0f} s after its upload"
                    if file_id in uploaded_at
                    else f"file {file_id} is gone from the API"
                )
                result.failures.append(
                    Failure(new_files[file_id].path, f"{why}; run kbsync again.")
                )
                if file_id in uploaded_at:
                    _forget(remote, [file_id])
                continue
            except RunStopped:
                raise
            except RemoteError as error:
                fail_all(chunk, str(error))
                return
            batches[batch_id] = chunk
            return

    def fail_all(chunk: list[str], error: str) -> None:
        result.failures += [Failure(new_files[f].path, error) for f in chunk]
        _forget(remote, [f for f in chunk if f in uploaded_at])  # never a reused File

    def upload(change: Upload) -> str:
        name = change.document.path.rsplit("/", 1)[-1]
        # The bytes that were hashed, read through no link below kb/files/ (or the
        # document fails for this run: DocumentChanged is a RemoteError).
        with open_for_upload(change.document) as planned:
            return remote.upload(planned, upload_name(name, store))

    # Bytes another store holds already (a preview reusing main's Files): attached as they
    # are, first, while nothing else waits.
    for change in changes:
        if change.reuse is not None:
            new_files[change.reuse] = change
            pending.append(change.reuse)
            if len(pending) >= size:
                attach()
    sent = [c for c in changes if c.reuse is None]
    step = progress.step("uploaded", len(sent))
    for change, outcome in parallel(sent, upload, concurrency):
        step.advance()
        if isinstance(outcome, RemoteError):
            result.failures.append(Failure(change.path, str(outcome)))
            continue
        new_files[outcome] = change
        uploaded_at[outcome] = time.monotonic()
        pending.append(outcome)
        if len(pending) >= size:
            attach()
    if pending:
        attach()
    result.uploaded = len(uploaded_at)

    _wait(remote, progress, store, statuses, deadline, sleep)
    result.ready = {new_files[f].path for chunk in batches.values() for f in chunk}
    for batch_id, chunk in batches.items():
        status = statuses[batch_id]
        if not (status.in_progress or status.failed):
            continue
        states: dict[str, RemoteFile] = {f.id: f for f in remote.batch_files(store, batch_id)}
        for file_id in chunk:
            state = states.get(file_id)
            if state is not None and state.status == "completed":
                continue
            path = new_files[file_id].path
            result.ready.discard(path)
            rejected = state is not None and state.rejected
            result.failures.append(Failure(path, _why(state, deadline), rejected))
    return result


def attach_fresh(
    remote: Remote,
    store: str,
    files: Sequence[tuple[str, Attributes]],
    chunking: Chunking | None,
    *,
    uploaded_at: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, BatchStatus]:
    """Attach Files uploaded at ``uploaded_at`` (``time.monotonic()``), waiting out the
    ``404 No file found`` a File gets while it is young (upload lag), as ``ingest`` does."""
    pause = FIRST_PAUSE
    while True:
        try:
            return remote.attach(store, files, chunking)
        except FileNotFound:
            age = time.monotonic() - uploaded_at
            if age >= YOUNG_FOR:
                raise
            sleep(min(pause, YOUNG_FOR - age))
            pause = min(pause * 2, LONGEST_PAUSE)


def _forget(remote: Remote, file_ids: Sequence[str]) -> None:
    """Delete uploads that could not be attached; one that survives is an orphan that the
    next plan finds by its name (``kbcore/wire.py``), so a failure here is not reported."""
    for file_id in file_ids:
        try:
            remote.delete_file(file_id)
        except RunStopped:
            raise
        except RemoteError:
            continue


def _wait(
    remote: Remote,
    progress: Progress,
    store: str,
    statuses: dict[str, BatchStatus],
    deadline: float,
    sleep: Callable[[float], None],
) -> None:
    step = progress.step(
        "processed", sum(s.in_progress + s.completed + s.failed for s in statuses.values())
    )
    give_up = time.monotonic() + deadline
    while True:
        step.update(sum(s.completed + s.failed for s in statuses.values()))
        waiting = [b for b, s in statuses.items() if s.in_progress]
        if not waiting:
            return
        pause = min(max(statuses[b].poll_after, 0.02) for b in waiting)
        if time.monotonic() + pause > give_up:
            return
        sleep(min(pause, 5.0))
        for batch_id in waiting:
            statuses[batch_id] = remote.batch_status(store, batch_id)


def _why(state: RemoteFile | None, deadline: float) -> str:
    if state is None:
        return "the file is missing from its batch"
    if state.status == "in_progress":
        return f"still processing after {deadline:g} s; run kbsync again later"
    return f"processing {state.status}: {state.last_error or 'no error given'}"


def parallel(
    items: Sequence[T], work: Callable[[T], R], concurrency: int
) -> Iterator[tuple[T, R | RemoteError]]:
    """Run ``work`` over ``items``, at most ``concurrency`` at once; yields as each finishes.

    A ``RemoteError`` is yielded as the outcome; anything else (a bug, Ctrl-C, a
    ``RunStopped`` such as an exhausted quota) stops the pool without starting the rest."""
    if not items:
        return
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="kbsync")
    try:
        futures = {pool.submit(work, item): item for item in items}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except RunStopped:
                raise
            except RemoteError as error:
                yield futures[future], error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
