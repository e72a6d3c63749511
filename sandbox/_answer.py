"""The sandbox's "model": extractive and deterministic.

It answers with the best-matching passages of the knowledge base (the vector stores named
in the ``file_search`` tool) and cites each with a ``file_citation`` at the character
offset where the passage ends.

How it reads (``_concepts.py``, ``_thesaurus.py``, ``_passages.py``): the question's
concepts are weighed by how rare they are among the sentences found (a word in every
sentence says little, a word in none says the most), each sentence in the question's
language scores the weight of the concepts it or its heading holds, and the best one is
quoted with its paragraph. It stays honest: when the passages chosen cover less than
``COVERAGE`` of the question's weight, it says plainly, in the question's language, that the
knowledge base has no answer (a question about the weather shares "Kazan" with the
contacts page, but not "weather" or "tomorrow").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox._concepts import Concept, concepts, rewrite, with_typos
from sandbox._passages import Unit, passage, units
from sandbox._state import JSON, Store

_MAX_PASSAGES = 2
_ANCHOR_WORDS = 8
# share of the question's weight the quoted passages must cover to be an answer
COVERAGE = 0.55
# a concept the sentence holds but its heading does not counts this much in ranking
_OWN_WEIGHT = 0.8

_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")


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
            rewrite(query),
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
    chosen, coverage = choose(question, hits, layout)
    if not chosen or coverage < COVERAGE:
        return Answer(NO_ANSWER[lang])
    text = ""
    citations: list[Citation] = []
    for quoted, hit in chosen:
        text += ("\n\n" if text else "") + quoted
        citations.append(Citation(len(text), str(hit["file_id"]), str(hit.get("filename", ""))))
    return Answer(text, citations)


def choose(
    question: str, hits: list[JSON], layout: Callable[[JSON], str] = hit_text
) -> tuple[list[tuple[str, JSON]], float]:
    """The passages to quote (text, hit), and the share of the question's weight they
    cover (their sentences and headings)."""
    found = _Found.read(hits, layout, language(question))
    vocabulary = frozenset().union(*(unit.all for unit in found.all_units()))
    asked = [with_typos(concept, vocabulary) for concept in concepts(question)]
    weights = found.weights(asked)
    chosen: list[tuple[str, JSON]] = []
    covered: set[Concept] = set()
    best = 0.0
    for score, rank, position in found.ranked(asked, weights):
        best = best or score
        hit, hit_units = found.hits[rank]
        if any(hit["file_id"] == other["file_id"] for _, other in chosen):
            continue
        start, end, text = passage(hit_units, position)
        matched = {c for c in asked if any(c.found_in(u.all) for u in hit_units[start : end + 1])}
        # a further passage must answer a part of the question that the others did not,
        # or be as good as the first (another document says it too)
        if chosen and matched <= covered and score < best:
            continue
        chosen.append((text, hit))
        covered |= matched
        if len(chosen) == _MAX_PASSAGES:
            break
    total = sum(weights.values())
    return chosen, sum(weights[c] for c in covered) / total if total > 0 else 0.0


@dataclass(frozen=True)
class _Found:
    """The hits' units in the question's language (units with no letters count for any),
    each sentence once even when overlapping chunks repeat it."""

    hits: list[tuple[JSON, list[Unit]]]
    kept: list[list[bool]]

    @classmethod
    def read(cls, hits: list[JSON], layout: Callable[[JSON], str], lang: str) -> _Found:
        seen: set[tuple[str, str]] = set()
        read: list[tuple[JSON, list[Unit]]] = []
        kept: list[list[bool]] = []
        for hit in hits:
            hit_units = units(layout(hit))
            flags = []
            for unit in hit_units:
                key = (str(hit["file_id"]), unit.text)
                flags.append(unit.language in (lang, None) and key not in seen)
                seen.add(key)
            read.append((hit, hit_units))
            kept.append(flags)
        return cls(read, kept)

    def all_units(self) -> list[Unit]:
        return [
            unit
            for (_, hit_units), flags in zip(self.hits, self.kept, strict=True)
            for unit, keep in zip(hit_units, flags, strict=True)
            if keep
        ]

    def weights(self, asked: list[Concept]) -> dict[Concept, float]:
        """Each concept's inverse document frequency over the units."""
        every = self.all_units()
        count = len(every)
        return {
            concept: math.log((count + 1) / (sum(concept.found_in(u.all) for u in every) + 0.5))
            for concept in asked
        }

    def ranked(
        self, asked: list[Concept], weights: dict[Concept, float]
    ) -> list[tuple[float, int, int]]:
        """(score, hit rank, unit position) of the units that match something, best first: by
        score, then by what their headings match, then by how often they say it."""
        scored: list[tuple[float, float, int, int, int]] = []
        for rank, ((_, hit_units), flags) in enumerate(zip(self.hits, self.kept, strict=True)):
            for position, (unit, keep) in enumerate(zip(hit_units, flags, strict=True)):
                if not keep:
                    continue
                score, topical = _score(unit, asked, weights)
                if score > 0:
                    said = sum(unit.mentions(c.alternatives) for c in asked)
                    scored.append((-score, -topical, -said, rank, position))
        scored.sort()
        return [(-score, rank, position) for score, *_, rank, position in scored]


def _score(unit: Unit, asked: list[Concept], weights: dict[Concept, float]) -> tuple[float, float]:
    """The unit's score, and the part of it that its heading holds: a heading names what
    everything under it is about, so it counts more than a word in passing."""
    if asked and all(concept.found_in(unit.own) for concept in asked):
        # The sentence itself says everything asked: a direct statement, whatever its
        # heading (which still decides between two such sentences).
        topical = sum(weights[c] for c in asked if c.found_in(unit.context))
        return sum(weights[c] for c in asked), topical
    score = topical = 0.0
    for concept in asked:
        if concept.found_in(unit.context):
            score += weights[concept]
            topical += weights[concept]
        elif concept.found_in(unit.own):
            score += _OWN_WEIGHT * weights[concept]
    return score, topical
