"""What a cited document is, resolved in one place: its ``kb_path``, title and link.

A citation names only a file id and an upload name. The document's path and title are
attributes of its vector-store file: the file_search results of the same answer usually
carry them; else they are fetched once per file and kept (a bounded, per-process LRU).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from kbcore.kb import AssistantSpec, source_url
from kbcore.wire import KB_PATH, KB_TITLE, display_name


@dataclass(frozen=True)
class DocumentInfo:
    """What a vector-store file's attributes say about its document (``None``: not said)."""

    path: str | None
    title: str | None

    @classmethod
    def of(cls, attributes: Mapping[str, object] | None) -> DocumentInfo:
        attributes = attributes or {}
        path, title = attributes.get(KB_PATH), attributes.get(KB_TITLE)
        return cls(
            path if isinstance(path, str) and path else None,
            title if isinstance(title, str) and title else None,
        )


@dataclass(frozen=True)
class Source:
    """One ``source`` event: the cited document as the widget shows it."""

    file_id: str
    filename: str  # the upload's own name (``display_name``), never the store marker
    path: str  # kb_path, else the filename
    title: str  # kb_title, else the filename
    url: str | None  # sources.url filled with the kb_path; None without either

    def as_event(self) -> dict[str, str | None]:
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "path": self.path,
            "title": self.title,
            "url": self.url,
        }


FetchAttributes = Callable[[str, str], Awaitable[Mapping[str, object] | None]]


class DocumentCache:
    """file id → ``DocumentInfo``, for citations whose search results did not say."""

    def __init__(self, fetch: FetchAttributes, size: int = 4096) -> None:
        self._fetch = fetch  # (vector_store_id, file_id) → attributes, None when unknown
        self._known: OrderedDict[str, DocumentInfo] = OrderedDict()
        self._size = size

    def remember(self, file_id: str, info: DocumentInfo) -> None:
        self._known[file_id] = info
        self._known.move_to_end(file_id)
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    async def info(self, vector_store_id: str, file_id: str) -> DocumentInfo:
        if (known := self._known.get(file_id)) is not None:
            return known
        attributes = await self._fetch(vector_store_id, file_id)
        if attributes is None:
            return DocumentInfo(None, None)  # not kept: a later answer may find it
        info = DocumentInfo.of(attributes)
        self.remember(file_id, info)
        return info


class AnswerSources:
    """The sources of one answer: feed it the search results, ask it for each citation."""

    def __init__(self, cache: DocumentCache, spec: AssistantSpec, vector_store_id: str) -> None:
        self._cache = cache
        self._spec = spec
        self._vector_store_id = vector_store_id
        self._searched: dict[str, DocumentInfo] = {}
        self._cited: set[str] = set()

    def searched(self, file_id: str, attributes: Mapping[str, object] | None) -> None:
        info = DocumentInfo.of(attributes)
        if info.path is not None:
            self._searched[file_id] = info
            self._cache.remember(file_id, info)

    async def cite(self, file_id: str, filename: str) -> Source | None:
        """The source for a citation; ``None`` when this document was already cited."""
        if file_id in self._cited:
            return None
        self._cited.add(file_id)
        info = self._searched.get(file_id) or await self._cache.info(self._vector_store_id, file_id)
        name = display_name(filename)
        template = self._spec.source_url
        url = source_url(template, info.path) if template and info.path else None
        return Source(file_id, name, info.path or name, info.title or name, url)

    @property
    def cited(self) -> int:
        return len(self._cited)
