"""What a question asks about and what a passage says, as the extractive model compares them.

A question becomes a list of ``Concept``s: its meaningful words (stop words, question
words and fillers left out), each widened by the thesaurus (``_thesaurus.py``) and, when
the word is nowhere in the passages, by the passages' words one typo away from it
("абонимент" → "абонемент", "тренажерку" → "тренажерный"). A passage becomes a set of
terms: its index terms, the times of day its clock times fall in, and the stems of its
negated words without the negation ("неиспользованные" also says "использованные").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox._analyzers import current, stem, tokens, words
from sandbox._stopwords import ENGLISH, RUSSIAN
from sandbox._thesaurus import EVENING, MORNING, group, longest_phrase, spelled

# Words that ask, not what they ask about; and colloquial or misspelt forms of them.
_QUESTION_WORDS = """
much many tell please know want wanted would like really still also just even ever
something anything somewhere anywhere thing things happen happens happened whats
grab put get make let take hi hello thanks thank ok okay pls plz wanna gonna wher whre wat wot
say says said говорится сказано
сколько скока скоко скольки можно нужно хочу хотел хотела хотим пожалуйста подскажите
скажите расскажите вообще просто тех кого кому который которые которая которых пока
две два оба бывает будут
"""
# Words of asking about money: a price list answers them without repeating them.
_PRICE_WORDS = "cost costs price prices pay fee стоит стоят стоимость цена цены платить"
_CLOCK = re.compile(r"\b([01]?\d|2[0-3]):[0-5]\d\b")
_NEGATION = ("не", "un")
_CYRILLIC = re.compile(r"[а-яё]", re.I)


@dataclass(frozen=True)
class Concept:
    """One thing the question asks about; any one alternative (all its terms) matches it."""

    word: str
    alternatives: frozenset[tuple[str, ...]]
    synonyms: tuple[str, ...] = ()  # the thesaurus group's words as written, if in one

    def found_in(self, terms: frozenset[str]) -> bool:
        return any(all(term in terms for term in alt) for alt in self.alternatives)


@functools.cache
def _stop(analyzer: str) -> frozenset[str]:
    listed = (*ENGLISH, *RUSSIAN, *_QUESTION_WORDS.split())
    return frozenset(stem(word) for word in listed)


@functools.cache
def _price(analyzer: str) -> frozenset[str]:
    return frozenset(stem(word) for word in _PRICE_WORDS.split())


def _is_filler(term: str) -> bool:
    return term in _stop(current())


def _alternatives(entries: Iterable[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    """The entries without their stop words (a passage's terms have none)."""
    stop = _stop(current())
    kept = (tuple(term for term in entry if term not in stop) for entry in entries)
    return frozenset(entry for entry in kept if entry)


def concepts(question: str) -> list[Concept]:
    """The concepts of ``question``, in order, each once; price words left out unless the
    question asks about nothing else."""
    raw = words(question)
    stems = [stem(word) for word in raw]
    found: list[Concept] = []
    longest = longest_phrase()
    i = 0
    while i < len(stems):
        for size in range(min(longest, len(stems) - i), 0, -1):
            phrase = tuple(stems[i : i + size])
            entries = group(phrase)
            if entries is not None:  # a word the thesaurus lists means something
                alternatives = _alternatives(entries)
                if alternatives:
                    word = " ".join(raw[i : i + size])
                    found.append(Concept(word, alternatives, spelled(entries)))
                i += size
                break
        else:
            term = stems[i]
            if not _is_filler(term) and (len(term) >= 3 or term.isdigit()):
                found.append(Concept(raw[i], frozenset({(term,)})))
            i += 1
    unique = list({concept.alternatives: concept for concept in reversed(found)}.values())[::-1]
    price = _price(current())
    topical = [c for c in unique if not c.alternatives <= {(term,) for term in price}]
    return topical or unique


def rewrite(question: str) -> str:
    """The search query ``file_search`` sends for ``question``: the question with the
    other words of its thesaurus groups in its language, as the real tool rewrites one."""
    cyrillic = _CYRILLIC.search(question) is not None
    extra = [
        synonym
        for concept in concepts(question)
        for synonym in concept.synonyms
        if (_CYRILLIC.search(synonym) is not None) == cyrillic
    ]
    return " ".join([question, *extra])


def with_typos(concept: Concept, vocabulary: frozenset[str]) -> Concept:
    """``concept`` widened to the vocabulary's words one typo from its own, when none of
    its alternatives is in the vocabulary."""
    if concept.found_in(vocabulary):
        return concept
    near = {
        (word,)
        for (term,) in (alt for alt in concept.alternatives if len(alt) == 1)
        if len(term) >= 5
        for word in vocabulary
        if word[:1] == term[:1] and _one_edit(term, word)
    }
    if not near:
        return concept
    return Concept(concept.word, concept.alternatives | near, concept.synonyms)


def terms(text: str) -> frozenset[str]:
    """What a passage says, as concepts are matched against it."""
    found = set(tokens(text))
    for term in list(found):
        for prefix in _NEGATION:
            if term.startswith(prefix) and len(term) > len(prefix) + 4:
                found.add(term[len(prefix) :])
    for match in _CLOCK.finditer(text):
        hour = int(match.group(1))
        if hour < 12:
            found.add(MORNING)
        elif hour >= 17:
            found.add(EVENING)
    return frozenset(found)


def _one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one substitution, insertion or deletion (not equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]
