"""The temporary vector store of ``kbsync check``, and its guaranteed removal.

The store is named ``kb:<name>#check-<random>`` and carries ``kb_name`` and
``kb_preview: check`` (so no rule mistakes it for the KB's own store) and expires a day
after its last activity; its one document is uploaded under a name marked with the
store's id (``kbcore.wire.upload_name``) and expires a day after upload. Expiry is the
net under the net: ``__exit__`` deletes both, whatever ended the block.

Ctrl-C can land while a create or upload request is on the wire: the server may have
made the object while its id never reached us. So each such request is flagged while it
runs, and cleanup then finds what it made by the run's unique name. Cleanup itself runs
with SIGINT ignored, so an impatient second Ctrl-C cannot cut it short.
"""

from __future__ import annotations

import hashlib
import secrets
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from kbcore.errors import KbsyncError
from kbcore.output import warn
from kbcore.wire import KB_NAME, KB_PATH, KB_PREVIEW, KB_SHA256, KB_TITLE, is_ours, upload_name
from sync import Remote, attach_fresh

PREVIEW = "check"  # the kb_preview value of check stores
EXPIRES_DAYS = 1
PROCESSING_DEADLINE = 45.0  # seconds: the whole check should take under a minute

_TITLE = "kbsync check"


class ScratchStore:
    """``with ScratchStore(remote, kb_name) as scratch: scratch.build() ...``"""

    def __init__(self, remote: Remote, kb_name: str) -> None:
        self._remote = remote
        token = secrets.token_hex(4)
        self.name = f"kb:{kb_name}#check-{token}"
        self._kb_name = kb_name
        self.path = f"kbsync-check-{token}.md"
        # A word no model knows, so that only the document can supply it.
        self.code = f"{_TITLE.split()[0]}-{secrets.token_hex(3)}"
        self.question = f"What is the service check code word in the documents ({token})?"
        self.store_id = ""
        self.file_id = ""
        self._in_flight: set[str] = set()  # "store", "upload": requests whose reply may be lost
        self.left: list[str] = []  # what cleanup could not delete (it warned)

    def __enter__(self) -> ScratchStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.remove()  # signals reach the main thread only
            return
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.remove()
        finally:
            signal.signal(signal.SIGINT, previous)

    def build(self) -> str:
        """Create the store, upload and attach the document, wait until it is processed."""
        with self._flight("store"):
            store = self._remote.create_store(
                self._kb_name,
                name=self.name,
                preview=PREVIEW,
                expires_after_days=EXPIRES_DAYS,
            )
        self.store_id = store.id
        text = (
            f"# {_TITLE}\n\nThe service check code word is {self.code}. "
            "This document was uploaded by kbsync check and is deleted when it ends.\n"
        )
        with tempfile.TemporaryDirectory(prefix="kbsync-check-") as folder:
            local = Path(folder) / self.path
            local.write_text(text, encoding="utf-8")
            with self._flight("upload"):
                self.file_id = self._remote.upload(
                    local,
                    upload_name(self.path, self.store_id),
                    expires_after_seconds=EXPIRES_DAYS * 86400,
                )
            uploaded_at = time.monotonic()
        attributes: dict[str, str | float | bool] = {
            KB_PATH: self.path,
            KB_SHA256: hashlib.sha256(text.encode()).hexdigest(),
            KB_TITLE: _TITLE,
        }
        # a File a few seconds old can be unknown to vector stores yet: waited out, as a
        # sync does
        batch_id, status = attach_fresh(
            self._remote, self.store_id, [(self.file_id, attributes)], None, uploaded_at=uploaded_at
        )
        deadline = time.monotonic() + PROCESSING_DEADLINE
        while status.in_progress:
            if time.monotonic() > deadline:
                raise KbsyncError(
                    f"the check's document was still processing after "
                    f"{PROCESSING_DEADLINE:.0f} s in {self.store_id}; the API is slow, try again."
                )
            time.sleep(min(max(status.poll_after, 0.1), 2.0))
            status = self._remote.batch_status(self.store_id, batch_id)
        if status.failed:
            files = self._remote.batch_files(self.store_id, batch_id)
            why = next((str(f.last_error) for f in files if f.last_error), "no reason given")
            raise KbsyncError(f"the check's document failed processing ({why}).")
        return f"{self.name} ({self.store_id}): 1 document processed"

    def remove(self) -> None:
        """Delete what was made (each step on its own, so one failure does not stop the rest)."""
        left = self.left
        try:
            if "store" in self._in_flight and not self.store_id:
                self.store_id = self._find_store()
            if self.store_id:
                self._remote.delete_store(self.store_id)
            if "upload" in self._in_flight and not self.file_id and self.store_id:
                self.file_id = self._find_upload()
        except KbsyncError as error:
            left.append(f"vector store {self.store_id or self.name} ({error})")
        try:
            if self.file_id:
                self._remote.delete_file(self.file_id)
        except KbsyncError as error:
            left.append(f"file {self.file_id} ({error})")
        if left:
            warn(
                "kbsync check could not delete " + "; ".join(left) + f". They expire within "
                f"{EXPIRES_DAYS} day; delete them in the dashboard to be rid of them sooner."
            )

    @contextmanager
    def _flight(self, what: str) -> Iterator[None]:
        # Not in a ``finally``: a request that raised (Ctrl-C, a lost reply) stays flagged.
        self._in_flight.add(what)
        yield
        self._in_flight.discard(what)

    def _find_store(self) -> str:
        for store in self._remote.list_stores():
            mine = store.metadata.get(KB_NAME) == self._kb_name
            if mine and store.name == self.name and store.metadata.get(KB_PREVIEW) == PREVIEW:
                return store.id
        return ""

    def _find_upload(self) -> str:
        for file_id, filename in self._remote.list_uploads():
            if filename == upload_name(self.path, self.store_id) and is_ours(
                filename, self.store_id
            ):
                return file_id
        return ""
