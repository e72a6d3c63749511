"""Hand-built knowledge bases and remote states for the pure plan and render tests."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from kbcore.kb import AssistantSpec, Chunking, Document, KnowledgeBase, Settings, files_digest
from kbcore.wire import (
    KB_ATTRIBUTES_SHA256,
    KB_CHUNKING,
    KB_FILES_SHA256,
    KB_NAME,
    KB_PATH,
    KB_SHA256,
    KB_SPEC_SHA256,
    KB_TITLE,
)
from sync._changes import desired
from sync._remote_state import (
    AttributeValue,
    ProcessingError,
    RemoteFile,
    RemoteState,
    RemoteStore,
)
from sync._stamp import attributes_digest

SPEC_DIGEST = "5" * 64


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_kb(
    docs: dict[str, str],
    *,
    attributes: dict[str, dict[str, str]] | None = None,
    chunking: Chunking | None = None,
    name: str = "demo",
) -> KnowledgeBase:
    """``docs`` maps path → content; the files are not on disk (only their hashes matter)."""
    attributes = attributes or {}
    settings = Settings(name=name, chunking=chunking)
    spec = AssistantSpec(name, settings.model, "Be brief.", None, None, None, SPEC_DIGEST)
    documents = tuple(
        Document(
            path,
            Path("/nowhere") / path,
            len(text),
            sha(text),
            PurePosixPath(path).stem,
            attributes.get(path, {}),
        )
        for path, text in sorted(docs.items())
    )
    digest = files_digest((d.path, d.sha256) for d in documents)
    return KnowledgeBase(Path("/nowhere"), settings, spec, documents, digest)


def remote_file(
    file_id: str,
    path: str | None,
    text: str | None,
    *,
    status: str = "completed",
    created_at: int = 1000,
    extra: dict[str, AttributeValue] | None = None,
    error: str | None = None,  # "code: message"
    chunking: tuple[int, int] | None = (800, 400),
    filename: str | None = None,
    titled: bool = True,  # False: as kbsync wrote files before kb_title existed
) -> RemoteFile:
    attributes: dict[str, AttributeValue] = dict(extra or {})
    if path is not None:
        attributes[KB_PATH] = path
    if text is not None:
        attributes[KB_SHA256] = sha(text)
    if path is not None and text is not None and titled:
        attributes[KB_TITLE] = PurePosixPath(path).stem  # make_kb's titles
    last_error = None
    if error is not None:
        code, _, message = error.partition(": ")
        last_error = ProcessingError(code, message)
    return RemoteFile(file_id, status, created_at, attributes, last_error, chunking, filename)


def stamped(kb: KnowledgeBase, *files: RemoteFile, store_id: str = "vs_demo") -> RemoteState:
    """A store stamped as in sync with ``kb``'s spec, holding ``files``."""
    metadata = {
        KB_NAME: kb.settings.name,
        KB_SPEC_SHA256: kb.spec.digest,
        KB_FILES_SHA256: kb.files_digest,
        KB_ATTRIBUTES_SHA256: attributes_digest(desired(kb)),
        KB_CHUNKING: "auto" if kb.settings.chunking is None else "static",
    }
    return RemoteState(RemoteStore(store_id, f"kb:{kb.settings.name}", metadata), files)


def every_action() -> tuple[KnowledgeBase, RemoteState]:
    """A KB and a store whose plan holds each action kind exactly once."""
    kb = make_kb(
        {
            "faq/new.md": "brand new",
            "faq/changed.md": "version 2",
            "guides/moved-here.md": "moving bytes",
            "faq/broken.md": "broken bytes",
            "faq/refused.pdf": "no text inside",
            "ru/tagged.md": "privet",
            "faq/twice.md": "twice",
            "faq/same.md": "same",
        },
        attributes={"ru/tagged.md": {"lang": "ru"}},
    )
    files = (
        remote_file("file-changed", "faq/changed.md", "version 1"),
        remote_file("file-moved", "guides/old-place.md", "moving bytes"),
        remote_file("file-gone", "old/removed.md", "removed"),
        remote_file(
            "file-broken",
            "faq/broken.md",
            "broken bytes",
            status="failed",
            error="server_error: The server had an error while processing the file.",
        ),
        remote_file(
            "file-refused",
            "faq/refused.pdf",
            "no text inside",
            status="failed",
            error="invalid_file: The file could not be parsed.",
        ),
        remote_file("file-tagged", "ru/tagged.md", "privet", extra={"lang": "en"}),
        remote_file("file-twice-old", "faq/twice.md", "twice", created_at=900),
        remote_file("file-twice-new", "faq/twice.md", "twice", created_at=1100),
        remote_file("file-dashboard", None, None, filename="dashboard-upload.pdf"),
        remote_file("file-same", "faq/same.md", "same", chunking=(400, 100)),
    )
    return kb, stamped(kb, *files)
