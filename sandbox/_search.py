"""Incremental BM25 over the chunks of one vector store.

Terms come from the analyzer in use (``_analyzers.py``: Snowball stemming for Russian
and English by default), so that "абонемента" finds "абонемент" and "prices" finds
"price". Files are added one at a time as processing completes them (``add`` then
``flush``), so the index grows incrementally; after a restart the whole store is queued by
``add`` and indexed on the first search. Scores are BM25 divided by the
best score the query could reach (every query term at saturation), so they lie in [0, 1]
and mean the same from one store to the next.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sandbox._analyzers import tokens

K1 = 1.2
B = 0.75


@dataclass
class _Chunk:
    file_id: str
    text: str
    length: int
    terms: Counter[str]


@dataclass
class Hit:
    file_id: str
    text: str
    score: float


@dataclass
class Index:
    """Chunks of completed files; ``pending`` maps a file id to a thunk giving its chunks.

    Postings are dicts (cheap to add to and remove from); a search turns the postings of
    its terms into numpy arrays, cached until the index next changes."""

    pending: dict[str, Callable[[], list[str]]] = field(default_factory=dict)
    _chunks: dict[int, _Chunk] = field(default_factory=dict)
    _by_file: dict[str, list[int]] = field(default_factory=dict)
    _postings: dict[str, dict[int, int]] = field(default_factory=dict)
    _arrays: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # K1 * (1 - B + B * length / average length) per chunk key; None after a change
    _norm: Any = None
    _total_length: int = 0
    _next: int = 0

    def _changed(self) -> None:
        self._arrays = {}
        self._norm = None

    def add(self, file_id: str, chunks: Callable[[], list[str]]) -> None:
        self.remove(file_id)
        self.pending[file_id] = chunks

    def remove(self, file_id: str) -> None:
        self.pending.pop(file_id, None)
        keys = self._by_file.pop(file_id, [])
        if keys:
            self._changed()
        for key in keys:
            chunk = self._chunks.pop(key)
            self._total_length -= chunk.length
            for term in chunk.terms:
                posting = self._postings[term]
                del posting[key]
                if not posting:
                    del self._postings[term]

    def flush(self, max_files: int | None = None) -> bool:
        """Index up to ``max_files`` pending files (all if ``None``); ``True`` if some remain."""
        done = 0
        while self.pending and (max_files is None or done < max_files):
            file_id, thunk = next(iter(self.pending.items()))
            del self.pending[file_id]
            keys = []
            for text in thunk():
                terms = Counter(tokens(text))
                key = self._next
                self._next += 1
                length = sum(terms.values())
                self._chunks[key] = _Chunk(file_id, text, length, terms)
                self._total_length += length
                for term, count in terms.items():
                    self._postings.setdefault(term, {})[key] = count
                keys.append(key)
            self._by_file[file_id] = keys
            self._changed()
            done += 1
        return bool(self.pending)

    def _norms(self) -> Any:
        if self._norm is None:
            average = self._total_length / max(1, len(self._chunks)) or 1.0
            lengths = np.zeros(self._next)
            for key, chunk in self._chunks.items():
                lengths[key] = chunk.length
            self._norm = K1 * (1 - B + B * lengths / average)
        return self._norm

    def _posting(self, term: str) -> tuple[Any, Any] | None:
        cached = self._arrays.get(term)
        if cached is None:
            posting = self._postings.get(term)
            if not posting:
                return None
            keys = np.fromiter(posting.keys(), dtype=np.int64, count=len(posting))
            tfs = np.fromiter(posting.values(), dtype=np.float64, count=len(posting))
            cached = self._arrays[term] = (keys, tfs)
        return cached

    def search(
        self, query: str, limit: int, allowed: Callable[[str], bool] | None = None
    ) -> list[Hit]:
        """The best ``limit`` chunks for ``query`` among files ``allowed`` lets through."""
        self.flush()
        n = len(self._chunks)
        if n == 0 or limit <= 0:
            return []
        norm = self._norms()
        scores = np.zeros(self._next)
        best_possible = 0.0
        for term in set(tokens(query)):
            arrays = self._posting(term)
            if arrays is None:
                continue
            keys, tfs = arrays
            weight = math.log(1 + (n - len(keys) + 0.5) / (len(keys) + 0.5)) * (K1 + 1)
            best_possible += weight
            scores[keys] += weight * tfs / (tfs + norm[keys])
        matched = np.flatnonzero(scores)
        if matched.size == 0:
            return []
        verdict: dict[str, bool] = {}

        def ok(key: int) -> bool:
            if allowed is None:
                return True
            file_id = self._chunks[key].file_id
            seen = verdict.get(file_id)
            if seen is None:
                seen = verdict[file_id] = allowed(file_id)
            return seen

        def ranked(candidates: Any) -> list[int]:
            # best first; ties by indexing order, so results are deterministic
            order = np.lexsort((candidates, -scores[candidates]))
            return [int(key) for key in candidates[order]]

        wanted = max(limit * 4, 64)
        if matched.size > wanted:
            top = matched[np.argpartition(-scores[matched], wanted)[:wanted]]
            chosen = [key for key in ranked(top) if ok(key)][:limit]
            if len(chosen) < limit:
                chosen = [key for key in ranked(matched) if ok(key)][:limit]
        else:
            chosen = [key for key in ranked(matched) if ok(key)][:limit]
        return [
            Hit(
                self._chunks[key].file_id,
                self._chunks[key].text,
                min(1.0, float(scores[key]) / best_possible),
            )
            for key in chosen
        ]
