"""Incremental BM25 over the chunks of one vector store.

Words are Unicode ``\\w+`` runs, lower-cased, ``ё`` folded to ``е``, with a light suffix
stripper for Russian and English so that "абонемента" finds "абонемент" and "prices"
finds "price". Files are queued by ``add`` and indexed on the next search, so attaching
thousands of files costs nothing until someone searches. Scores are BM25 divided by the
best score the query could reach (every query term at saturation), so they lie in [0, 1]
and mean the same from one store to the next.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-я]")
_ENDINGS_TEXT = """
    ями ами ого его ому ему ыми ими ешь ете ите ишь ует уют ает яет ают яют ость ости
    ой ей ий ый ая яя ое ее ую юю ов ев ам ям ах ях ом ем ым им ет ит ут ют ат ят
    ся сь ы и а я о е у ю ь
"""
# longest first, so "ами" wins over "и"
_RU_ENDINGS = sorted(re.findall(r"\S+", _ENDINGS_TEXT), key=len, reverse=True)
K1 = 1.2
B = 0.75


@functools.lru_cache(maxsize=1 << 18)
def _stem(word: str) -> str:
    if _CYRILLIC.search(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                return word[: -len(ending)]
        return word
    if len(word) <= 3:
        return word
    if word.endswith("ies"):
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ing", "ed", "ly"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def tokens(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower().replace("ё", "е"))]


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
    """Chunks of completed files; ``pending`` maps a file id to a thunk giving its chunks."""

    pending: dict[str, Callable[[], list[str]]] = field(default_factory=dict)
    _chunks: dict[int, _Chunk] = field(default_factory=dict)
    _by_file: dict[str, list[int]] = field(default_factory=dict)
    _postings: dict[str, dict[int, int]] = field(default_factory=dict)
    # K1 * (1 - B + B * length / average length) per chunk; rebuilt after changes
    _norm: dict[int, float] = field(default_factory=dict)
    _total_length: int = 0
    _next: int = 0

    def add(self, file_id: str, chunks: Callable[[], list[str]]) -> None:
        self.remove(file_id)
        self.pending[file_id] = chunks

    def remove(self, file_id: str) -> None:
        self.pending.pop(file_id, None)
        keys = self._by_file.pop(file_id, [])
        if keys:
            self._norm = {}
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
            self._norm = {}
            done += 1
        return bool(self.pending)

    def _norms(self) -> dict[int, float]:
        if not self._norm and self._chunks:
            average = self._total_length / len(self._chunks) or 1.0
            self._norm = {
                key: K1 * (1 - B + B * chunk.length / average)
                for key, chunk in self._chunks.items()
            }
        return self._norm

    def search(
        self, query: str, limit: int, allowed: Callable[[str], bool] | None = None
    ) -> list[Hit]:
        """The best ``limit`` chunks for ``query`` among files ``allowed`` lets through."""
        self.flush()
        n = len(self._chunks)
        if n == 0 or limit <= 0:
            return []
        norm = self._norms()
        scores: dict[int, float] = {}
        best_possible = 0.0
        for term in set(tokens(query)):
            posting = self._postings.get(term)
            if not posting:
                continue
            weight = math.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5)) * (K1 + 1)
            best_possible += weight
            get = scores.get
            for key, tf in posting.items():
                scores[key] = get(key, 0.0) + weight * tf / (tf + norm[key])
        if not scores:
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

        # best first; ties by indexing order, so results are deterministic
        rank = lambda kv: (kv[1], -kv[0])  # noqa: E731
        wanted = max(limit * 4, 64)
        best = heapq.nlargest(wanted, scores.items(), key=rank)
        chosen = [kv for kv in best if ok(kv[0])][:limit]
        if len(chosen) < limit and len(scores) > wanted:
            chosen = [kv for kv in sorted(scores.items(), key=rank, reverse=True) if ok(kv[0])]
            chosen = chosen[:limit]
        return [
            Hit(self._chunks[key].file_id, self._chunks[key].text, min(1.0, score / best_possible))
            for key, score in chosen
        ]
