"""Which chats are gaps, and how their questions group.

A chat is a gap when file_search found nothing (``results`` 0), when its best result
scored under ``min_score`` (a weak match), or when the answer cited no document.
The default threshold, 0.3, sits under every question the example KB answers: in the
sandbox, the best result of each of its 35 golden questions scores 0.37 or more (median
0.62). OpenAI documents no scale for file_search scores beyond [0, 1] (the ranker's
``score_threshold`` takes the same range), so an operator tunes it with ``--min-score``.
A question the KB does not cover often still matches a passage on common words above
the threshold; "no source cited" is what catches most of those.

Grouping: each gap question goes to the group of its *topic word*: of its significant
words (``_words``), the one found in the most gap questions beyond what its share of all
questions predicts: ``gaps(w) - rate * asked(w)``, where ``asked(w)`` counts the logged
questions that hold the word, ``gaps(w)`` the gap questions among them, and ``rate`` is
the share of gaps among all logged questions. "parking", asked eight times and never
answered, outranks "price", asked in a third of all questions and mostly answered:
"How much is parking?" lands with the other parking questions, not with the prices;
and a word as common in answered questions as in gaps (a greeting, "call me back at
[phone]") leads no group. Ties go to the word more gap questions hold, then to the
word the visitor wrote first. A group's label is its topic word, then the words that
more than half of its questions share. Questions with no significant word at all
("hello?") form one group of their own, last.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kbsync._chatlog import Chat
from kbsync._words import Significant, significant

MIN_SCORE = 0.3
LABEL_WORDS = 3
EXAMPLES = 3
CLOSEST = 3

NO_RESULT = "no_result"
LOW_SCORE = "low_score"
NOT_CITED = "not_cited"
REASONS = (NO_RESULT, LOW_SCORE, NOT_CITED)


def reason(chat: Chat, min_score: float) -> str | None:
    """Why ``chat`` is a gap (the first that applies), or ``None`` when it is not one."""
    if chat.results == 0:
        return NO_RESULT
    if chat.top_score is not None and chat.top_score < min_score:
        return LOW_SCORE
    if chat.cited == 0:
        return NOT_CITED
    return None


@dataclass(frozen=True)
class Group:
    """Gap questions that share their topic word."""

    words: tuple[str, ...]  # topic word, then shared words, as visitors wrote them
    count: int
    reasons: dict[str, int]  # REASONS → chats
    examples: tuple[str, ...]  # one question per wording, most asked first
    closest: tuple[tuple[str, int], ...]  # (kb path, chats that found it), most first


def group(chats: Iterable[tuple[Chat, str | None]]) -> list[Group]:
    """Group the gap questions among ``(chat, reason)`` pairs (reason ``None``: not a gap;
    those only weigh the words). Chats without a question are ignored."""
    asked: Counter[str] = Counter()
    in_gaps: Counter[str] = Counter()
    gaps: list[tuple[str, Significant, Chat, str]] = []
    questions = 0
    for chat, why in chats:
        if chat.question is None:
            continue
        questions += 1
        question = " ".join(chat.question.split())
        words = _significant(question)
        asked.update(words.stems)
        if why is not None:
            in_gaps.update(words.stems)
            gaps.append((question, words, chat, why))
    rate = len(gaps) / questions if questions else 0.0
    members: defaultdict[str, list[tuple[str, Significant, Chat, str]]] = defaultdict(list)
    for gap in gaps:
        stems = gap[1].stems
        # max() keeps the first of equals: on a full tie, the word written first.
        topic = (
            max(stems, key=lambda w: (in_gaps[w] - rate * asked[w], in_gaps[w])) if stems else ""
        )
        members[topic].append(gap)
    wordless = members.pop("", [])
    groups = [_merge(topic, found) for topic, found in members.items()]
    groups.sort(key=lambda g: (-g.count, g.words))
    return [*groups, _merge("", wordless)] if wordless else groups


@functools.lru_cache(maxsize=1 << 14)
def _significant(question: str) -> Significant:
    return significant(question)


def _merge(topic: str, members: list[tuple[str, Significant, Chat, str]]) -> Group:
    questions: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    closest: Counter[str] = Counter()
    shared: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    for question, words, chat, why in members:
        questions[question] += 1
        reasons[why] += 1
        closest.update(chat.closest[:CLOSEST])
        shared.update(words.stems)
        for stem, word in zip(words.stems, words.words, strict=True):
            surface[stem][word] += 1
    label = [topic] if topic else []
    for stem, n in sorted(shared.items(), key=lambda item: (-item[1], item[0])):
        if len(label) == LABEL_WORDS or 2 * n <= len(members):
            break
        if stem != topic:
            label.append(stem)
    # One example per wording: "towel?" and "towel? thanks" say the same thing.
    by_wording: dict[frozenset[str], str] = {}
    for question, _ in sorted(questions.items(), key=lambda item: (-item[1], item[0])):
        by_wording.setdefault(frozenset(_significant(question).stems), question)
    examples = list(by_wording.values())[:EXAMPLES]
    return Group(
        words=tuple(surface[stem].most_common(1)[0][0] for stem in label),
        count=len(members),
        reasons={r: reasons[r] for r in REASONS},
        examples=tuple(examples),
        closest=tuple(sorted(closest.items(), key=lambda item: (-item[1], item[0]))[:CLOSEST]),
    )
