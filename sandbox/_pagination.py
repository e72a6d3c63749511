"""Cursor pagination, for every list the sandbox serves: files, vector stores, a
store's files, a batch's files, conversation items and response input items.

``OrderedIndex`` is a list of ids with a position map, so a page that starts ``after``
(or ends ``before``) a cursor is found in O(1) instead of by scanning every object.
Removed ids leave a hole that is compacted once holes outnumber live ids.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox._errors import bad_request, not_found


class OrderedIndex:
    _GONE_KEPT = 4096

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids: list[str | None] = []
        self._pos: dict[str, int] = {}
        # where recently removed ids were (a hole index, or k - 0.5 once compacted),
        # so that a page cursor that was deleted in the meantime still resumes in place
        self._gone: dict[str, float] = {}
        for object_id in ids:
            self.add(object_id)

    def __len__(self) -> int:
        return len(self._pos)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._pos

    def add(self, object_id: str) -> None:
        """Append ``object_id`` as the newest (moving it there if present)."""
        self.remove(object_id)
        self._gone.pop(object_id, None)
        self._pos[object_id] = len(self._ids)
        self._ids.append(object_id)

    def remove(self, object_id: str) -> None:
        index = self._pos.pop(object_id, None)
        if index is None:
            return
        self._ids[index] = None
        self._gone[object_id] = float(index)
        if len(self._gone) > self._GONE_KEPT:
            del self._gone[next(iter(self._gone))]
        if len(self._ids) > 64 and len(self._ids) > 2 * len(self._pos):
            self._compact()

    def _compact(self) -> None:
        live_at = [n for n, object_id in enumerate(self._ids) if object_id is not None]
        self._gone = {k: bisect.bisect_left(live_at, p) - 0.5 for k, p in self._gone.items()}
        live = [self._ids[n] for n in live_at]
        self._ids = list(live)
        self._pos = {object_id: n for n, object_id in enumerate(live) if object_id is not None}

    def _where(self, object_id: str | None) -> float | None:
        if object_id is None:
            return None
        if object_id in self._pos:
            return float(self._pos[object_id])
        return self._gone.get(object_id)

    def walk(self, *, descending: bool, after: str | None, before: str | None) -> Iterator[str]:
        """Ids in the asked order, strictly after ``after`` and strictly before ``before``.
        An unknown cursor is ignored."""
        after_at, before_at = self._where(after), self._where(before)
        if descending:
            start = len(self._ids) - 1 if after_at is None else math.ceil(after_at) - 1
            stop = -1 if before_at is None else math.floor(before_at)
            indexes = range(start, stop, -1)
        else:
            start = 0 if after_at is None else math.floor(after_at) + 1
            stop = len(self._ids) if before_at is None else math.ceil(before_at)
            indexes = range(start, stop)
        for index in indexes:
            object_id = self._ids[index]
            if object_id is not None:
                yield object_id


@dataclass(frozen=True)
class ListQuery:
    """The paging parameters of a list request: ``limit``, ``order``, ``after``, ``before``."""

    limit: int = 20
    descending: bool = True
    after: str | None = None
    before: str | None = None


def list_query(
    query: Mapping[str, str], *, default_limit: int = 20, max_limit: int = 100
) -> ListQuery:
    """The paging parameters of ``query``, with 400s naming the param."""
    raw = query.get("limit")
    limit = default_limit
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise bad_request(
                f"Invalid 'limit': {raw!r} is not an integer.", param="limit"
            ) from None
        if not 1 <= limit <= max_limit:
            raise bad_request(
                f"Invalid 'limit': {limit}; it must be between 1 and {max_limit}.", param="limit"
            )
    order = query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise bad_request(f"Invalid 'order': {order!r}; use 'asc' or 'desc'.", param="order")
    return ListQuery(
        limit, order == "desc", query.get("after") or None, query.get("before") or None
    )


def page(
    index: OrderedIndex, render: Callable[[str], dict[str, Any] | None], query: ListQuery
) -> dict[str, Any]:
    """A ``{"object": "list", "data", "first_id", "last_id", "has_more"}`` page; ``render``
    returns ``None`` for ids to skip (e.g. a status ``filter``)."""
    data: list[dict[str, Any]] = []
    has_more = False
    walk = index.walk(descending=query.descending, after=query.after, before=query.before)
    for object_id in walk:
        item = render(object_id)
        if item is None:
            continue
        if len(data) == query.limit:
            has_more = True
            break
        data.append(item)
    # The live API sends null ids for an empty page, but the spec requires strings;
    # "" satisfies both the spec and the SDK's "stop when last_id is falsy" rule.
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else "",
        "last_id": data[-1]["id"] if data else "",
        "has_more": has_more,
    }


def items_page(
    items: Sequence[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    query: ListQuery,
) -> dict[str, Any]:
    """A page of a short list kept oldest first (conversation or response items). Unlike
    the long lists, whose cursor may have been deleted in the meantime, an ``after`` that
    is not an item here is a 404, as upstream answers it."""
    by_id = {item["id"]: item for item in items}
    if query.after is not None and query.after not in by_id:
        raise not_found("item", query.after)
    return page(OrderedIndex(by_id), lambda item_id: render(by_id[item_id]), query)
