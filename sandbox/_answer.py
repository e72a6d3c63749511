"""The sandbox's "model": extractive and deterministic.

It answers with the best-matching passages of the knowledge base (the vector stores named
in the ``file_search`` tool) and cites each with a ``file_citation`` at the character
offset where the passage ends. When nothing in the hits shares a word with the question,
it says plainly, in the question's language, that the knowledge base has no answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox._analyzers import current, tokens
from sandbox._layout import blocks, sentences
from sandbox._state import JSON, Store

PASSAGE_CHARS = 400
_SHORT_PASSAGE = 160
_MAX_PASSAGES = 2
_ANCHOR_WORDS = 8

_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_END_PUNCT = ".!?…:;"

_STOPWORD_TEXT = (
    "a an and are as at be but by can do does for from has have how i if in is it its me "
    "my of on or our so that the their there this to was we what when where which who why "
    "will with you your about any please tell much many "
    "а в во да для до же за и из или как когда ли мне мой на над не нет но о об от по под "
    "при про с со так там то тоже у уже что чтобы это эта этот я вы вас ваш мы нас наш он "
    "она они их где какой какая какие сколько можно есть бы был была было"
)
# Words of asking about money: a price list answers them without repeating them.
_PRICE_TEXT = "cost costs price prices pay fee стоит стоимость цена цены платить оплата"


@functools.cache
def _terms(text: str, analyzer: str) -> frozenset[str]:
    """``text``'s terms under ``analyzer`` (cached per analyzer: it is chosen at startup)."""
    return frozenset(tokens(text))


NO_ANSWER = {
    "en": "The knowledge base has no answer to this question.",
    "ru": "В базе знаний нет ответа на этот вопрос.",
}
NO_KNOWLEDGE_BASE = {
    "en": "I answer only from the knowledge base, and no knowledge base was given for this "
    "question.",
    "ru": "Я отвечаю только по базе знаний, а для этого вопроса она не подключена.",
}


@dataclass(frozen=True)
class Citation:
    index: int
    file_id: str
    filename: str

    def annotation(self) -> JSON:
        return {
            "type": "file_citation",
            "file_id": self.file_id,
            "filename": self.filename,
            "index": self.index,
        }


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)


def language(text: str) -> str:
    return "ru" if _CYRILLIC.search(text) else "en"


def search(store: Store, tool: JSON, query: str) -> list[JSON]:
    """Hits over every vector store of the tool, best first, at most ``max_num_results``.

    Raises ``ApiError`` 404 when a store is gone."""
    limit = int(tool.get("max_num_results") or 20)
    threshold = float((tool.get("ranking_options") or {}).get("score_threshold") or 0.0)
    hits: list[JSON] = []
    for vector_store_id in tool.get("vector_store_ids", []):
        hits += store.search(
            vector_store_id,
            query,
            max_num_results=limit,
            filters=tool.get("filters"),
            score_threshold=threshold,
        )
    hits.sort(key=lambda hit: -float(hit.get("score", 0.0)))
    return hits[:limit]


def hit_text(hit: JSON) -> str:
    return "\n".join(part.get("text", "") for part in hit.get("content", []))


def restore_layout(store: Store, hit: JSON) -> str:
    """The hit's chunk as it stands in the file, line breaks included (chunks are stored
    with whitespace collapsed), so that headings and list items stay apart."""
    text = hit_text(hit)
    words = text.split()
    original = store.text_of(str(hit["file_id"])) if words else None
    if not original:
        return text
    head = re.search(r"\s+".join(map(re.escape, words[:_ANCHOR_WORDS])), original)
    if head is None:
        return text
    tail_words = words[-_ANCHOR_WORDS:]
    tail = re.compile(r"\s+".join(map(re.escape, tail_words))).search(original, head.start())
    return original[head.start() : tail.end()] if tail is not None else text


def compose(
    question: str, hits: list[JSON] | None, layout: Callable[[JSON], str] = hit_text
) -> Answer:
    """The answer to ``question`` from ``hits`` (``None``: no file_search tool at all);
    ``layout`` gives a hit's text as it should be read."""
    lang = language(question)
    if hits is None:
        return Answer(NO_KNOWLEDGE_BASE[lang])
    wanted = _stems(question) - _terms(_PRICE_TEXT, current()) or _stems(question)
    found = [(_passage(layout(hit), wanted), rank, hit) for rank, hit in enumerate(hits)]
    ranked = sorted(
        ((passage, rank, hit) for passage, rank, hit in found if passage is not None),
        key=lambda item: (-len(item[0].matched), -item[0].in_context, item[1]),
    )
    chosen: list[tuple[str, JSON]] = []
    covered: frozenset[str] = frozenset()
    for passage, _, hit in ranked:
        # a further passage must answer a part of the question that the others did not
        if not passage.matched <= covered and not _same_file(hit, chosen):
            chosen.append((passage.text, hit))
            covered |= passage.matched
        if len(chosen) == _MAX_PASSAGES:
            break
    # a passage that shares a word or two with a longer question is no answer to it
    if not chosen or 3 * len(covered) < 2 * len(wanted):
        return Answer(NO_ANSWER[lang])
    text = ""
    citations: list[Citation] = []
    for quoted, hit in chosen:
        text += ("\n\n" if text else "") + quoted
        citations.append(Citation(len(text), str(hit["file_id"]), str(hit.get("filename", ""))))
    return Answer(text, citations)


def _same_file(hit: JSON, chosen: list[tuple[str, JSON]]) -> bool:
    return any(hit["file_id"] == other["file_id"] for _, other in chosen)


def _stems(text: str) -> frozenset[str]:
    """The meaningful words, stemmed as the search index stems them."""
    stopwords = _terms(_STOPWORD_TEXT, current())
    return frozenset(
        stem
        for stem in tokens(text)
        if stem not in stopwords and (len(stem) >= 3 or stem.isdigit())
    )


@dataclass(frozen=True)
class _Unit:
    """A sentence (or list item, or table row), with the words of its context."""

    text: str
    section: int
    own: frozenset[str]
    context: frozenset[str]


def _units(text: str) -> list[_Unit]:
    return [
        _Unit(sentence, block.section, _stems(sentence), _stems(block.context))
        for block in blocks(text)
        for sentence in sentences(block.text)
    ]


@dataclass(frozen=True)
class _Passage:
    text: str
    matched: frozenset[str]  # question words in its best sentence or that one's context
    in_context: int  # how many of those the heading (or table header) holds


def _passage(text: str, wanted: frozenset[str]) -> _Passage | None:
    """The best sentence of ``text`` with its neighbours in its section, trimmed."""
    units = _units(text)
    if not units or not wanted:
        return None

    def rank(i: int) -> tuple[int, int, int, int]:
        unit = units[i]
        matched = wanted & (unit.own | unit.context)
        return len(matched), len(wanted & unit.context), len(wanted & unit.own), -i

    best = max(range(len(units)), key=rank)
    matched = wanted & (units[best].own | units[best].context)
    if not matched:
        return None
    section = units[best].section
    start = end = best
    while (
        end + 1 < len(units)
        and units[end + 1].section == section
        and _length(units[start : end + 2]) <= PASSAGE_CHARS
        and _length(units[start : end + 1]) < _SHORT_PASSAGE * 2
    ):
        end += 1
    while (
        start > 0
        and units[start - 1].section == section
        and _length(units[start - 1 : end + 1]) <= _SHORT_PASSAGE
    ):
        start -= 1
    text = _trim(_join(units[start : end + 1]))
    return _Passage(text, matched, len(wanted & units[best].context))


def _join(units: list[_Unit]) -> str:
    return " ".join(u.text if u.text[-1] in _END_PUNCT else u.text + "." for u in units)


def _length(units: list[_Unit]) -> int:
    return len(_join(units))


def _trim(text: str) -> str:
    if len(text) <= PASSAGE_CHARS:
        return text
    cut = text.rfind(" ", 0, PASSAGE_CHARS)
    return text[: cut if cut > 0 else PASSAGE_CHARS].rstrip(",;: ") + "…"
