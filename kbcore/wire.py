"""Every name kbsync puts on the wire, written once: attribute and metadata keys, the
store's name, and the names of uploads (with the orphans among them).

Attributes of each vector-store file: ``KB_PATH``, ``KB_SHA256``, ``KB_TITLE`` (plus the
user attributes of ``kb/assistant.yaml``, which may not start with ``RESERVED_PREFIX``).
Metadata of the KB's vector store: ``KB_NAME`` (whose store it is), the stamp
(``KB_SPEC_SHA256``, ``KB_FILES_SHA256``, ``KB_ATTRIBUTES_SHA256``, ``KB_CHUNKING``,
``KB_REVISION``, ``KB_TOOL``) and, on preview and check stores only, ``KB_PREVIEW``.

Uploads kbsync can prove are its own, and the orphans among them.

An apply uploads a File, then attaches it to the KB's vector store. A run killed in
between (or an attach that fails, or a detach whose File delete never ran) leaves a
File attached to no store: an *orphan*. It costs storage and is invisible in the
store, so the plan would never find it through the store alone.

How kbsync recognises its own uploads without touching anyone else's:

- The Files API stores nothing but the bytes, ``purpose``, an optional expiry and the
  **filename**, so the filename carries the proof. Every upload is named
  ``<stem>~<vector store id><ext>``, e.g. ``guide~vs_68a1f2.md``: the real name stays
  first (``display_name`` gives it back: the relay shows that in citations), the
  extension stays last (the API picks the parser by it), and the store id binds the
  File to this one KB. The store exists before the first upload (apply creates it
  first), so the id is always known.
- Expiry was rejected: ``expires_after`` cannot be cleared once set, so an attached
  document would vanish when it expired. A "pending uploads" list in the store's
  metadata was rejected too: 16 keys of 512 characters hold about 150 ids, and a File
  whose upload response was lost to the kill is in no list.
- An orphan is a File of purpose ``assistants`` whose name carries *this* store's
  marker and which is not one of the store's files (any status). Files uploaded
  before this convention, dashboard uploads and other KBs' uploads never match.
- The plan lists them (one ``GET /v1/files?purpose=assistants`` page of up to 10,000
  Files, only when the store exists); apply deletes them before stamping; ``--dry-run``
  only shows them. Assumption: one apply per KB at a time (the workflows use a
  concurrency group), since a concurrent run's uploads look like orphans until attached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

RESERVED_PREFIX = "kb_"

KB_PATH = "kb_path"
KB_SHA256 = "kb_sha256"
KB_TITLE = "kb_title"
MAX_ATTRIBUTES = 16  # per vector-store file, kbsync's own included

KB_NAME = "kb_name"
KB_PREVIEW = "kb_preview"
KB_SPEC_SHA256 = "kb_spec_sha256"
KB_FILES_SHA256 = "kb_files_sha256"
KB_ATTRIBUTES_SHA256 = "kb_attributes_sha256"  # digest of every file's attribute map (sync)
KB_CHUNKING = "kb_chunking"
KB_REVISION = "kb_revision"
KB_TOOL = "kb_tool"
KB_CREATE = "kb_create"  # a one-off mark set by the create request, gone with the first stamp
KB_UPLOADS_SHA256 = "kb_uploads_sha256"  # digest of the store's own uploads (sync's fast path)

STORE_NAME_PREFIX = "kb:"


def store_name(kb_name: str) -> str:
    """The display name of the KB's vector store: ``kb:<name>``."""
    return STORE_NAME_PREFIX + kb_name


def preview_label(pr: int) -> str:
    """The ``kb_preview`` value of pull request ``pr``'s preview store: ``pr-12``."""
    return f"pr-{pr}"


def preview_store_name(kb_name: str, label: str) -> str:
    """The display name of a preview store: ``kb:<name>#pr-12``."""
    return f"{store_name(kb_name)}#{label}"


SEPARATOR = "~"
_MARKED = re.compile(r"^(?P<stem>.+)~vs_[A-Za-z0-9_-]+(?P<suffix>\.[^.]*)?$")


def upload_name(basename: str, store_id: str) -> str:
    """The filename an upload of ``basename`` gets in store ``store_id``."""
    pure = PurePosixPath(basename)
    return f"{pure.stem}{SEPARATOR}{store_id}{pure.suffix}"


def is_ours(filename: str, store_id: str) -> bool:
    """Whether ``filename`` was given by ``upload_name`` for ``store_id``."""
    pure = PurePosixPath(filename)
    return pure.stem.endswith(SEPARATOR + store_id) and len(pure.stem) > len(store_id) + 1


def display_name(filename: str) -> str:
    """The document's own name: ``guide~vs_68a1f2.md`` → ``guide.md`` (others unchanged).

    For what people read (the relay's ``source`` events, which the widget shows)."""
    marked = _MARKED.match(filename)
    return marked["stem"] + (marked["suffix"] or "") if marked else filename


def orphans(
    uploads: Iterable[tuple[str, str]], store_id: str, attached: Iterable[str]
) -> tuple[str, ...]:
    """Ids of the ``(id, filename)`` uploads marked for ``store_id`` but not attached to it."""
    present = set(attached)
    return tuple(sorted(f for f, name in uploads if f not in present and is_ours(name, store_id)))
