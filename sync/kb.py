"""The knowledge base model: what ``kb/`` holds, loaded and validated.

Shared by the CLI (plan/apply/validate/watch) and the relay (which only needs
``load_spec``). Values are frozen; loading never touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AssistantSpec:
    """What the relay needs to answer: instructions and model settings."""

    name: str
    model: str
    instructions: str
    temperature: float | None
    max_output_tokens: int | None
    max_num_results: int | None
    digest: str  # kb_spec_sha256: hex sha256 over instructions + settings


@dataclass(frozen=True)
class Settings:
    """The parsed ``kb/assistant.yaml`` (defaults filled in)."""

    name: str
    model: str = "gpt-5.4-mini"
    temperature: float | None = None
    max_output_tokens: int | None = None
    max_num_results: int | None = None
    chunking: dict[str, int] | None = None  # {"max_chunk_size_tokens", "chunk_overlap_tokens"}
    exclude: tuple[str, ...] = ()
    attributes: tuple[tuple[str, dict[str, str]], ...] = ()  # (glob, attrs) in file order


@dataclass(frozen=True)
class Document:
    path: str  # POSIX path under kb/files/
    abs_path: Path
    size: int
    sha256: str
    attributes: dict[str, str] = field(default_factory=dict)  # user attributes only


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path
    settings: Settings
    spec: AssistantSpec
    documents: tuple[Document, ...]  # sorted by path
    files_digest: str  # kb_files_sha256: sha256 of the sorted "path:sha" lines

    def by_path(self) -> dict[str, Document]:
        return {d.path: d for d in self.documents}


def load_spec(kb_dir: Path) -> AssistantSpec:
    """Read ``instructions.md`` and ``assistant.yaml`` only (fast; the relay reloads with it).

    Raises ``KbError`` whose messages name ``file:line``."""
    raise NotImplementedError


def load_kb(kb_dir: Path, *, workers: int | None = None) -> KnowledgeBase:
    """Load, validate and hash everything; raises ``KbError`` listing every problem at once."""
    raise NotImplementedError


def _unused(_: Any) -> None:  # pragma: no cover - keeps the Any import honest until filled in
    return None
