"""The kinds of change a plan holds, each carrying exactly what applying it needs.

Three families, by what apply does with them:

- uploads (``Create``, ``Update``, ``Retry``, ``Rechunk``): put the document's bytes in
  the store with its final ``attributes``, then remove ``remove`` once they are ready.
  ``reuse`` (create, update, retry) names a File that already holds the bytes (a preview
  store attaches the main store's File): it is attached as it is, nothing uploaded.
  A rechunk never reuses: its File is already attached to the store;
- rewrites (``Move``, ``Retag``): send ``attributes`` (the whole map) to ``target``;
- removals (``Delete``, ``Duplicate``, ``Unmanaged``): detach ``remove`` (and delete the
  Files, except unmanaged ones);
- ``Failed``: nothing to do. OpenAI refused the document's current bytes for good
  (``last_error.code`` other than ``server_error``/``rate_limit_exceeded``); the failed
  copy is kept so that the same bytes are not sent again, and the run exits 1 naming it.

Every kind has ``action``, ``path`` and ``remove`` (empty for the kinds that remove
nothing), so that listing, sorting and counting need no ``isinstance``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from kbcore.kb import Document, KnowledgeBase
from kbcore.wire import KB_PATH, KB_SHA256, KB_TITLE
from sync._remote_state import Attributes


class Action(StrEnum):
    """The kinds of change, in the order summaries list them."""

    CREATE = "create"  # a new path: upload and attach
    UPDATE = "update"  # same path, new bytes: upload, attach, then remove the old version
    MOVE = "move"  # same bytes, new path: rewrite the attributes, no upload
    DELETE = "delete"  # the path is gone from git: remove its files
    RETRY = "retry"  # the current bytes failed processing transiently: upload again
    RETAG = "retag"  # user attributes changed: rewrite the attributes
    DUPLICATE = "duplicate"  # a stale second file for one path (an interrupted run): remove it
    UNMANAGED = "unmanaged"  # not added by kbsync: shown; removed only with --prune-unmanaged
    RECHUNK = "rechunk"  # chunking changed: attach a fresh copy, then remove the old one
    FAILED = "failed"  # OpenAI cannot process these bytes: nothing sent until they change


def attributes_for(document: Document) -> Attributes:
    """The full attribute map of a document's vector-store file (always sent whole)."""
    return {
        **document.attributes,
        KB_PATH: document.path,
        KB_SHA256: document.sha256,
        KB_TITLE: document.title,
    }


def desired(kb: KnowledgeBase) -> dict[str, Attributes]:
    """Every document's attribute map by path: computed once per run, carried by the
    changes and digested into the stamp."""
    return {d.path: attributes_for(d) for d in kb.documents}


_NOTHING: tuple[str, ...] = ()


@dataclass(frozen=True)
class Create:
    path: str
    document: Document
    attributes: Attributes
    reuse: str | None = None  # a File holding these bytes already (a preview: main's)
    action: ClassVar[Action] = Action.CREATE
    remove: ClassVar[tuple[str, ...]] = _NOTHING


@dataclass(frozen=True)
class Update:
    path: str
    document: Document
    attributes: Attributes
    remove: tuple[str, ...]  # every file of the path, removed once the new one is ready
    reuse: str | None = None
    action: ClassVar[Action] = Action.UPDATE


@dataclass(frozen=True)
class Retry:
    path: str
    document: Document
    attributes: Attributes
    remove: tuple[str, ...]
    error: str  # the store's last_error of the failed copy
    reuse: str | None = None
    action: ClassVar[Action] = Action.RETRY


@dataclass(frozen=True)
class Rechunk:
    path: str
    document: Document
    attributes: Attributes
    remove: tuple[str, ...]  # the copy with the old chunking
    action: ClassVar[Action] = Action.RECHUNK
    reuse: ClassVar[None] = None  # its File is attached already: a fresh copy is uploaded


@dataclass(frozen=True)
class Move:
    path: str
    from_path: str
    target: str  # the file whose bytes are already right
    attributes: Attributes
    action: ClassVar[Action] = Action.MOVE
    remove: ClassVar[tuple[str, ...]] = _NOTHING


@dataclass(frozen=True)
class Retag:
    path: str
    target: str
    attributes: Attributes
    before: Attributes  # what the store has now
    action: ClassVar[Action] = Action.RETAG
    remove: ClassVar[tuple[str, ...]] = _NOTHING


@dataclass(frozen=True)
class Delete:
    path: str
    remove: tuple[str, ...]
    action: ClassVar[Action] = Action.DELETE


@dataclass(frozen=True)
class Duplicate:
    path: str
    remove: tuple[str, ...]
    action: ClassVar[Action] = Action.DUPLICATE


@dataclass(frozen=True)
class Unmanaged:
    path: str  # the File's name, else its id
    remove: tuple[str, ...]
    action: ClassVar[Action] = Action.UNMANAGED


@dataclass(frozen=True)
class Failed:
    path: str
    file_id: str  # the one failed copy kept: it proves these bytes were tried
    error: str  # OpenAI's last_error, "code: message"
    action: ClassVar[Action] = Action.FAILED
    remove: ClassVar[tuple[str, ...]] = _NOTHING


Upload = Create | Update | Retry | Rechunk
Rewrite = Move | Retag
Change = Upload | Rewrite | Delete | Duplicate | Unmanaged | Failed

UPLOADS = (Create, Update, Retry, Rechunk)
REWRITES = (Move, Retag)


def file_ids(change: Change) -> tuple[str, ...]:
    """The remote files a change touches, for display."""
    if isinstance(change, REWRITES):
        return (change.target,)
    if isinstance(change, Failed):
        return (change.file_id,)
    return change.remove
