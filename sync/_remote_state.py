"""What the vector store holds, as plain values: the input of ``plan.diff``.

``sync/_remote.py`` fetches it; nothing here talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kbcore.kb import Chunking
from kbcore.wire import KB_PATH, KB_SHA256

AttributeValue = str | float | bool
Attributes = dict[str, AttributeValue]

# OpenAI's "auto" chunking is documented as 800-token chunks with a 400-token overlap;
# a file attached with "auto" reports exactly that static strategy.
AUTO_CHUNKING: tuple[int, int] = (800, 400)

# ``last_error.code`` values that say "try again": anything else is a verdict on the bytes
# (``invalid_file``, ``unsupported_file``, a file over the per-file token limit, ...).
TRANSIENT_CODES = frozenset({"server_error", "rate_limit_exceeded"})


@dataclass(frozen=True)
class ProcessingError:
    """A vector-store file's ``last_error``."""

    code: str
    message: str

    @property
    def permanent(self) -> bool:
        """Sending the same bytes again would fail the same way."""
        return self.code not in TRANSIENT_CODES

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class RemoteFile:
    """One vector-store file (its id is also the id of its File object)."""

    id: str
    status: str  # in_progress | completed | failed | cancelled
    created_at: int
    attributes: Attributes = field(default_factory=dict)
    last_error: ProcessingError | None = None  # when status is failed
    chunking: tuple[int, int] | None = None  # (max tokens, overlap) when the store reports it
    filename: str | None = None  # looked up only for unmanaged files, to name them

    @property
    def path(self) -> str | None:
        value = self.attributes.get(KB_PATH)
        return value if isinstance(value, str) else None

    @property
    def sha256(self) -> str | None:
        value = self.attributes.get(KB_SHA256)
        return value if isinstance(value, str) else None

    @property
    def managed(self) -> bool:
        """Added by kbsync: it carries both ``kb_path`` and ``kb_sha256``."""
        return self.path is not None and self.sha256 is not None

    @property
    def rejected(self) -> bool:
        """Processing failed for good: these bytes will never work (not re-sent)."""
        return self.status == "failed" and self.last_error is not None and self.last_error.permanent


@dataclass(frozen=True)
class FileCounts:
    """The store's ``file_counts``, as the API reports them with the store itself."""

    in_progress: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0


@dataclass(frozen=True)
class RemoteStore:
    id: str
    name: str
    metadata: dict[str, str] = field(default_factory=dict)
    file_counts: FileCounts = field(default_factory=FileCounts)
    status: str = "completed"  # in_progress | completed | expired (``expires_after`` passed)

    @property
    def expired(self) -> bool:
        return self.status == "expired"


@dataclass(frozen=True)
class RemoteState:
    """The KB's vector store (``None`` when it does not exist yet), all of its files, and
    the ids of kbsync's orphaned uploads for it (``kbcore/wire.py``)."""

    store: RemoteStore | None
    files: tuple[RemoteFile, ...] = ()
    orphans: tuple[str, ...] = ()
    uploads_sha256: str | None = None  # digest of the store's own uploads (``_uploads``)
    held: tuple[str, ...] = ()  # own uploads let go of here that another store still holds


def chunking_label(chunking: Chunking | None) -> str:
    """The ``kb_chunking`` stamp value: ``auto`` or ``static:800/400``."""
    if chunking is None:
        return "auto"
    return f"static:{chunking.max_chunk_size_tokens}/{chunking.chunk_overlap_tokens}"


def effective_chunking(chunking: Chunking | None) -> tuple[int, int]:
    if chunking is None:
        return AUTO_CHUNKING
    return (chunking.max_chunk_size_tokens, chunking.chunk_overlap_tokens)
