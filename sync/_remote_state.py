"""What the vector store holds, as plain values: the input of ``plan.diff``.

``sync/_remote.py`` fetches it; nothing here talks to the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AttributeValue = str | float | bool

# OpenAI's "auto" chunking is documented as 800-token chunks with a 400-token overlap;
# a file attached with "auto" reports exactly that static strategy.
AUTO_CHUNKING: tuple[int, int] = (800, 400)


@dataclass(frozen=True)
class RemoteFile:
    """One vector-store file (its id is also the id of its File object)."""

    id: str
    status: str  # in_progress | completed | failed | cancelled
    created_at: int
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    last_error: str | None = None  # "code: message" when status is failed
    chunking: tuple[int, int] | None = None  # (max tokens, overlap) when the store reports it
    filename: str | None = None  # looked up only for unmanaged files, to name them

    @property
    def path(self) -> str | None:
        value = self.attributes.get("kb_path")
        return value if isinstance(value, str) else None

    @property
    def sha256(self) -> str | None:
        value = self.attributes.get("kb_sha256")
        return value if isinstance(value, str) else None

    @property
    def managed(self) -> bool:
        """Added by kbsync: it carries both ``kb_path`` and ``kb_sha256``."""
        return self.path is not None and self.sha256 is not None


@dataclass(frozen=True)
class RemoteStore:
    id: str
    name: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteState:
    """The KB's vector store (``None`` when it does not exist yet), all of its files, and
    the ids of kbsync's orphaned uploads for it (``sync/_orphans.py``)."""

    store: RemoteStore | None
    files: tuple[RemoteFile, ...] = ()
    orphans: tuple[str, ...] = ()


def chunking_label(chunking: dict[str, int] | None) -> str:
    """The ``kb_chunking`` stamp value: ``auto`` or ``static:800/400``."""
    if chunking is None:
        return "auto"
    return f"static:{chunking['max_chunk_size_tokens']}/{chunking['chunk_overlap_tokens']}"


def effective_chunking(chunking: dict[str, int] | None) -> tuple[int, int]:
    if chunking is None:
        return AUTO_CHUNKING
    return (chunking["max_chunk_size_tokens"], chunking["chunk_overlap_tokens"])
