"""The one seam between ``sync`` and OpenAI (or the sandbox).

``Remote`` owns the client, pagination, retries and error translation; the rest of
``sync`` sees only the values of ``_remote_state`` and ``RemoteError``. The client is
configured by the standard variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
``OPENAI_PROJECT_ID``, ``OPENAI_ORG_ID``, read once by ``kbcore.openai_client``), and
``KBSYNC_TIMEOUT`` (seconds one request may take, default 120; a request that times out is
repeated).
The SDK's own retries are off (``max_retries=0``): failures are repeated here, so that
they can be bounded and counted. What is repeated: what the server's ``x-should-retry``
says, else 408, 409, 429 and 5xx, and connection failures; waits honour
``retry-after-ms``/``retry-after``. An exhausted quota (``429 insufficient_quota``) is
never repeated: it stops the run (``QuotaExhausted``). A ``404 No file found`` names its
File (``FileNotFound``): a fresh upload can be that for a few seconds, which ingest
waits out.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import httpx2
import openai

from kbcore.errors import KbsyncError, RemoteError
from kbcore.formats import mime_type
from kbcore.kb import Chunking, open_document
from kbcore.openai_client import ClientConfigError, ClientSettings
from kbcore.store import StoreRef, check_chosen, choose_preview, choose_store, missing_chosen
from kbcore.wire import KB_CREATE, KB_NAME, KB_PATH, KB_PREVIEW, display_name, store_name
from sync._pace import Pace
from sync._remote_errors import (
    FileNotFound,
    QuotaExhausted,
    is_quota,
    missing_file,
    should_retry,
    translate,
)
from sync._remote_state import (
    AttributeValue,
    FileCounts,
    ProcessingError,
    RemoteFile,
    RemoteStore,
)
from sync._retry import RetryPolicy, server_hint

T = TypeVar("T")

UPLOADS = "POST /v1/files"  # the routes the API limits on their own (``_pace``)
ATTACHES = "POST /v1/vector_stores/{vector_store_id}/file_batches"
_PAGE = 100  # the largest page the vector-store list endpoints serve
_FILES_PAGE = 10_000  # the largest page GET /v1/files serves
DEFAULT_TIMEOUT = 120.0


def timeout_from_env() -> float:
    """``KBSYNC_TIMEOUT`` in seconds (default 120); a bad value names the variable."""
    raw = os.environ.get("KBSYNC_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise RemoteError(
            f"KBSYNC_TIMEOUT={raw!r} is not a number of seconds between 0 and 3600; "
            "fix or unset it."
        )
    return value


@dataclass(frozen=True)
class SearchHit:
    """One chunk found by ``Remote.search``."""

    file_id: str
    filename: str
    score: float
    attributes: dict[str, AttributeValue]

    @property
    def path(self) -> str | None:
        value = self.attributes.get(KB_PATH)
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class BatchStatus:
    in_progress: int
    completed: int
    failed: int  # failed or cancelled
    poll_after: float  # seconds (``openai-poll-after-ms``)


class Remote:
    """Every request ``sync`` makes, each repeated on transient failures.

    ``requests`` and ``retries`` count attempts (thread-safe), for reports and tests.
    """

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._pace = Pace()
        self.requests = 0
        self.retries = 0
        # uploads sent again after a failure that may have come after the File was made
        # (a cut connection, a timeout, a 5xx): each may have left an unattached File
        self.unsure_uploads = 0

    @classmethod
    def from_env(cls, *, policy: RetryPolicy | None = None) -> Remote:
        """A client configured the way the OpenAI SDK documents, without its retries."""
        try:
            settings = ClientSettings.from_env()
            settings.require_key()
        except ClientConfigError as exc:
            raise RemoteError(str(exc)) from exc
        timeout = timeout_from_env()
        try:
            client = openai.OpenAI(
                **settings.client_kwargs(
                    timeout=httpx2.Timeout(timeout, connect=min(10.0, timeout))
                )
            )
        except openai.OpenAIError as exc:
            raise RemoteError(f"Could not configure the OpenAI client: {exc}") from exc
        return cls(client, policy=policy)

    @property
    def base_url(self) -> str:
        return str(self._client.base_url).rstrip("/")

    def close(self) -> None:
        self._client.close()

    # -- reading -------------------------------------------------------------------------

    def check_model(self, model: str) -> str | None:
        """Fail with one sentence when ``model`` does not exist for this key; else its
        ``shutdown_date`` (``YYYY-MM-DD``), when the API announces one."""
        try:
            found = self._call(
                f"looking up model {model!r}", lambda: self._client.models.retrieve(model)
            )
        except RemoteError as error:
            if isinstance(error.__cause__, openai.NotFoundError):
                raise RemoteError(
                    f"Model {model!r} does not exist for this API key; fix `model:` in "
                    "kb/assistant.yaml (see GET /v1/models for the ids you can use)."
                ) from error.__cause__
            raise
        shutdown = getattr(found, "shutdown_date", None)
        return str(shutdown) if shutdown else None

    def find_store(self, kb_name: str) -> RemoteStore | None:
        """The KB's store by the one ``kbcore.store`` rule: the store ``VECTOR_STORE_ID``
        names (which must carry this ``kb_name``), else the single main store claiming it."""
        chosen = os.environ.get("VECTOR_STORE_ID")
        if chosen:
            store = _store(
                self._call(
                    f"reading vector store {chosen} (VECTOR_STORE_ID)",
                    lambda: self._client.vector_stores.retrieve(chosen),
                    missing=missing_chosen(chosen),
                )
            )
            check_chosen(kb_name, _ref(store))
            return store
        stores = {
            s.id: _store(s)
            for s in self._pages("listing vector stores", self._client.vector_stores.list)
        }
        found = choose_store(kb_name, (_ref(s) for s in stores.values()))
        return stores[found.id] if found else None

    def list_files(self, store_id: str) -> list[RemoteFile]:
        """Every file of the store, following ``has_more`` to the end."""
        return [
            _file(f)
            for f in self._pages(
                f"listing the files of vector store {store_id}",
                lambda **q: self._client.vector_stores.files.list(store_id, **q),
            )
        ]

    def filename(self, file_id: str) -> str | None:
        """The name a File was uploaded with (to show unmanaged files); ``None`` if gone."""
        try:
            file = self._call(
                f"reading file {file_id}", lambda: self._client.files.retrieve(file_id)
            )
        except RemoteError as error:
            if isinstance(error.__cause__, openai.NotFoundError):
                return None
            raise
        return file.filename

    def list_uploads(self) -> list[tuple[str, str]]:
        """``(id, filename)`` of every File of purpose ``assistants`` (for orphan checks)."""
        uploads: list[tuple[str, str]] = []
        after: str | None = None
        while True:
            query: dict[str, Any] = {"purpose": "assistants", "limit": _FILES_PAGE}
            if after:
                query["after"] = after
            page = self._call(
                "listing uploaded files",
                lambda q=query: self._client.files.list(**q),  # type: ignore[misc]
            )
            uploads += [(f.id, f.filename or "") for f in page.data]
            if not getattr(page, "has_more", False) or not page.data:
                return uploads
            after = page.data[-1].id

    # -- writing -------------------------------------------------------------------------

    def create_store(
        self,
        kb_name: str,
        *,
        name: str | None = None,
        preview: str | None = None,
        expires_after_days: int | None = None,
    ) -> RemoteStore:
        """The KB's store ``kb:<name>``; or, with ``preview``, a preview or check store
        (metadata ``kb_preview``), named ``name`` and expiring ``expires_after_days`` after
        its last activity."""
        shown = name or store_name(kb_name)
        # A one-off mark, so that a create repeated after its reply was lost finds the
        # store the first attempt made instead of making a second one (the stamp drops it).
        nonce = secrets.token_hex(8)
        metadata = {
            KB_NAME: kb_name,
            KB_CREATE: nonce,
            **({KB_PREVIEW: preview} if preview else {}),
        }
        expires: Any = (
            {"anchor": "last_active_at", "days": expires_after_days}
            if expires_after_days
            else openai.omit
        )

        def made_already() -> Any:
            for store in self._pages("listing vector stores", self._client.vector_stores.list):
                if (store.metadata or {}).get(KB_CREATE) == nonce:
                    return store
            return None

        return _store(
            self._call(
                f"creating vector store {shown}",
                lambda: self._client.vector_stores.create(
                    name=shown, metadata=metadata, expires_after=expires
                ),
                made=made_already,
            )
        )

    def list_stores(self) -> list[RemoteStore]:
        """Every vector store of this key (all pages)."""
        return [
            _store(s) for s in self._pages("listing vector stores", self._client.vector_stores.list)
        ]

    def find_preview(self, kb_name: str, preview: str) -> RemoteStore | None:
        """The store of ``kb_name`` whose ``kb_preview`` is ``preview`` (``kbcore.store``)."""
        stores = {s.id: s for s in self.list_stores()}
        found = choose_preview(kb_name, preview, (_ref(s) for s in stores.values()))
        return stores[found.id] if found else None

    def delete_store(self, store_id: str) -> None:
        """Delete a vector store (its files are detached; their File objects stay)."""
        self._call(
            f"deleting vector store {store_id}",
            lambda: self._client.vector_stores.delete(store_id),
            gone_ok=True,
        )

    def search(
        self,
        store_id: str,
        query: str,
        *,
        max_num_results: int | None = None,
        rewrite_query: bool = True,
    ) -> list[SearchHit]:
        """``vector_stores.search``: the retrieval step of file_search, best first."""
        page = self._call(
            f"searching vector store {store_id}",
            lambda: self._client.vector_stores.search(
                store_id,
                query=query,
                max_num_results=openai.omit if max_num_results is None else max_num_results,
                rewrite_query=rewrite_query,
            ),
        )
        return [
            SearchHit(
                file_id=hit.file_id,
                filename=hit.filename or "",
                score=float(hit.score),
                attributes=dict(hit.attributes or {}),
            )
            for hit in page.data
        ]

    def upload(
        self, source: Path | BinaryIO, filename: str, *, expires_after_seconds: int | None = None
    ) -> str:
        """Upload a file or a snapshot as a File (purpose ``assistants``); returns its id.

        ``expires_after_seconds`` (from creation; 3600 to 2592000) only for temporary
        uploads: an expiry cannot be cleared, so a KB's documents never get one."""
        # The type OpenAI documents for the extension, never the platform's guess
        # (``mimetypes`` says video/mp2t for .ts); passed explicitly in the SDK's tuple.
        mime = mime_type(filename)
        expires: Any = (
            {"anchor": "created_at", "seconds": expires_after_seconds}
            if expires_after_seconds
            else openai.omit
        )

        def send() -> Any:
            if not isinstance(source, Path):  # an open stream (bytes already checked): rewind
                source.seek(0)
                return self._client.files.create(
                    file=(filename, source, mime), purpose="assistants", expires_after=expires
                )
            with open_document(source) as stream:
                return self._client.files.create(
                    file=(filename, stream, mime), purpose="assistants", expires_after=expires
                )

        return str(
            self._call(f"uploading {display_name(filename)}", send, route=UPLOADS, unsure=True).id
        )

    def attach(
        self,
        store_id: str,
        files: Sequence[tuple[str, dict[str, AttributeValue]]],
        chunking: Chunking | None,
    ) -> tuple[str, BatchStatus]:
        """Attach up to 2000 files with their own attributes in one batch."""
        entries: list[Any] = []
        for file_id, attributes in files:
            entry: dict[str, Any] = {"file_id": file_id, "attributes": attributes}
            if chunking is not None:
                entry["chunking_strategy"] = {"type": "static", "static": chunking.static()}
            entries.append(entry)
        raw = self._call(
            f"attaching {len(entries)} files to vector store {store_id}",
            lambda: self._client.vector_stores.file_batches.with_raw_response.create(
                store_id, files=entries
            ),
            route=ATTACHES,
        )
        batch = raw.parse()
        return batch.id, _status(batch, raw.headers)

    def batch_status(self, store_id: str, batch_id: str) -> BatchStatus:
        """How far a file batch is, and how long the server asks us to wait before asking again."""
        raw = self._call(
            f"checking file batch {batch_id}",
            lambda: self._client.vector_stores.file_batches.with_raw_response.retrieve(
                batch_id, vector_store_id=store_id
            ),
        )
        return _status(raw.parse(), raw.headers)

    def batch_files(self, store_id: str, batch_id: str) -> list[RemoteFile]:
        return [
            _file(f)
            for f in self._pages(
                f"listing the files of batch {batch_id}",
                lambda **q: self._client.vector_stores.file_batches.list_files(
                    batch_id, vector_store_id=store_id, **q
                ),
            )
        ]

    def detach(self, store_id: str, file_id: str) -> None:
        """Remove a file from the store (gone already counts as done)."""
        self._call(
            f"detaching file {file_id} from vector store {store_id}",
            lambda: self._client.vector_stores.files.delete(file_id, vector_store_id=store_id),
            gone_ok=True,
        )

    def holds(self, store_id: str, file_id: str) -> bool:
        """Whether ``file_id`` is attached to the store (one retrieve; gone is False)."""
        found = self._call(
            f"reading file {file_id} of vector store {store_id}",
            lambda: self._client.vector_stores.files.retrieve(file_id, vector_store_id=store_id),
            gone_ok=True,
        )
        return found is not None

    def delete_file(self, file_id: str) -> None:
        self._call(
            f"deleting file {file_id}", lambda: self._client.files.delete(file_id), gone_ok=True
        )

    def set_attributes(
        self, store_id: str, file_id: str, attributes: dict[str, AttributeValue]
    ) -> None:
        self._call(
            f"updating the attributes of file {file_id}",
            lambda: self._client.vector_stores.files.update(
                file_id, vector_store_id=store_id, attributes=attributes
            ),
        )

    def stamp(self, store_id: str, metadata: dict[str, str]) -> None:
        self._call(
            f"stamping vector store {store_id}",
            lambda: self._client.vector_stores.update(store_id, metadata=metadata),
        )

    # -- the retry loop and error translation --------------------------------------------

    def _call(
        self,
        what: str,
        send: Callable[[], T],
        *,
        missing: KbsyncError | None = None,
        gone_ok: bool = False,
        route: str = "",
        made: Callable[[], T | None] | None = None,
        unsure: bool = False,
    ) -> T:
        """Run ``send``, repeating transient failures; translate the final failure once.

        ``missing``: the error for a 404; ``gone_ok``: a 404 means done (returns None).
        ``route``: where bare 429s pause every request of the route (``_pace``); they are
        repeated for up to ``RetryPolicy.rate_limit_patience`` seconds, not counted as
        attempts. A failure after which the server may have acted (a cut connection, a
        timeout, a 5xx) is followed, before the repeat, by ``made()``: what the first
        attempt made, if it can be found (then returned, not made twice); ``unsure``
        counts such repeats in ``unsure_uploads``."""
        attempt = 0
        paced = 0.0
        pace_route = route or what
        while True:
            paced += self._pace.wait(pace_route, self._sleep)
            attempt += 1
            with self._lock:
                self.requests += 1
            try:
                result = send()
            except openai.APIStatusError as exc:
                if is_quota(exc):
                    raise QuotaExhausted() from exc
                if not should_retry(exc):
                    if isinstance(exc, openai.NotFoundError):
                        if gone_ok:
                            return None  # type: ignore[return-value]
                        if missing is not None:
                            raise missing from exc
                        file_id = missing_file(exc)
                        if file_id is not None:
                            raise FileNotFound(file_id, str(translate(exc, what, 1))) from exc
                    raise translate(exc, what, attempt) from exc
                if exc.status_code == 429 and server_hint(exc.response.headers) is None:
                    # a route's own limit: no attempt spent, the route waits (``_pace``)
                    self._pace.limited(pace_route)
                    attempt -= 1
                    if paced >= self._policy.rate_limit_patience:
                        raise translate(exc, what, attempt + 1) from exc
                    delay = 0.0
                else:
                    if attempt >= self._policy.attempts:
                        raise translate(exc, what, attempt) from exc
                    delay = self._policy.delay(attempt, exc.response.headers)
                acted = exc.status_code >= 500
            except openai.APIConnectionError as exc:
                # A refused connection is a wrong address far more often than a blip.
                refused = isinstance(exc.__cause__, httpx2.ConnectError)
                limit = min(self._policy.attempts, 3) if refused else self._policy.attempts
                if attempt >= limit:
                    raise translate(exc, what, attempt) from exc
                delay = self._policy.delay(attempt)
                acted = not refused
            except openai.OpenAIError as exc:
                raise translate(exc, what, attempt) from exc
            else:
                self._pace.passed(pace_route)
                return result
            with self._lock:
                self.retries += 1
                if acted and unsure:
                    self.unsure_uploads += 1
            if delay:
                self._sleep(delay)
            if acted and made is not None:
                found = made()
                if found is not None:
                    return found

    def _pages(self, what: str, list_page: Callable[..., Any]) -> Iterator[Any]:
        after: str | None = None
        while True:
            query: dict[str, Any] = {"limit": _PAGE, "order": "asc"}
            if after:
                query["after"] = after
            page = self._call(what, lambda q=query: list_page(**q))  # type: ignore[misc]
            yield from page.data
            if not page.has_more or not page.data:
                return
            after = page.data[-1].id


def _status(batch: Any, headers: Any) -> BatchStatus:
    try:
        wait = float(headers.get("openai-poll-after-ms", "1000")) / 1000
    except ValueError:
        wait = 1.0
    counts = batch.file_counts
    return BatchStatus(counts.in_progress, counts.completed, counts.failed + counts.cancelled, wait)


def _store(store: Any) -> RemoteStore:
    counts = store.file_counts
    return RemoteStore(
        id=store.id,
        name=store.name or "",
        status=store.status or "completed",
        metadata=dict(store.metadata or {}),
        file_counts=FileCounts(
            in_progress=counts.in_progress,
            completed=counts.completed,
            failed=counts.failed,
            cancelled=counts.cancelled,
            total=counts.total,
        ),
    )


def _ref(store: RemoteStore) -> StoreRef:
    return StoreRef(store.id, store.metadata)


def _file(file: Any) -> RemoteFile:
    chunking = None
    strategy = getattr(file, "chunking_strategy", None)
    static = getattr(strategy, "static", None)
    if getattr(strategy, "type", None) == "static" and static is not None:
        chunking = (static.max_chunk_size_tokens, static.chunk_overlap_tokens)
    error = file.last_error
    return RemoteFile(
        id=file.id,
        status=file.status,
        created_at=file.created_at,
        attributes=dict(file.attributes or {}),
        last_error=ProcessingError(str(error.code), error.message) if error else None,
        chunking=chunking,
    )
