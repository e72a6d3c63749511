"""The significant words of a visitor's question, Russian and English.

A word is a run of letters (``\\w`` minus digits and ``_``), lower-cased, ``ё`` folded to
``е``. Stop words (question words, pronouns, auxiliaries, greetings, prepositions) are
dropped, and so are the relay's masks (``[email]``, ``[phone]``, ``[number]``) with the
label before them ("my email is [email]"): they say that a visitor left a contact, not
what they asked about. What remains is reduced
to its Snowball stem (Russian for Cyrillic words, English otherwise; the same stemmers the
sandbox's search uses), so that "абонемента" and "абонементы", or "prices" and "price",
count as one word. Words under two letters and numbers never count.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import snowballstemmer

# A mask, with the label a visitor puts before it ("my email is [email]", "тел: [phone]").
_MASK = re.compile(
    r"(?:\b(?:e-?mail|mail|phone|tel|тел|телефон|почта|номер|number|card|карта)\b"
    r"\W{0,3}(?:is\s+|:\s*)?)?\[(?:email|phone|number)\]"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CYRILLIC = re.compile(r"[а-я]")

_STOP_EN = """
a about all also am an and any anyone are as at be been but by can cannot could did do
does doing don't for from get got had has have having he hello her here hi him his how
i i'd i'm if in into is isn't it it's its just me might more most much must my near need no
not now of off on one or our out please she should so some tell than thank thanks that
the their them then there these they this those to too up us very want was we were
what when where which who whom why will with would yes you your
"""
_STOP_RU = """
а без бы был была были было быть в вам вас ваш ваша ваше ваши весь во вот все всё вы
где да даже для до добрый день его ее её если есть еще ещё же за здравствуйте и из или
им их к как какая какие каким какой какое когда кто ли либо меня мне можно мой мы на
над надо нам нас не нет ни но ну о об от очень по под подскажите пожалуйста после при
привет про с сейчас скажите со спасибо так также там то тоже только ты у уже хочу хотел
хотела чем через что чтобы эта эти это этот я
"""
STOP_WORDS = frozenset(re.findall(r"\S+", (_STOP_EN + _STOP_RU).replace("ё", "е")))

_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The stem of one lower-cased word."""
    stemmer = _RUSSIAN if _CYRILLIC.search(word) else _ENGLISH
    stemmed: str = stemmer.stemWord(word.replace("’", "'"))
    return stemmed


@dataclass(frozen=True)
class Significant:
    """The stems of a question, in order of first use, and the word each came from."""

    stems: tuple[str, ...]
    words: tuple[str, ...]  # the surface word of each stem, same order


def significant(text: str) -> Significant:
    """The question's significant words: no stop words, no masks, no numbers."""
    stems: dict[str, str] = {}
    for word in _WORD.findall(_MASK.sub(" ", text.lower().replace("ё", "е"))):
        if word in STOP_WORDS or len(word) < 2:
            continue
        stems.setdefault(stem(word), word)
    return Significant(tuple(stems), tuple(stems.values()))
