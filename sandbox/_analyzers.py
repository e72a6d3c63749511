"""Analyzers: how the sandbox's search turns text into index terms.

Both lower-case the text, fold ``ё`` to ``е`` and split it into Unicode ``\\w+`` words;
they differ in how they stem a word:

- ``snowball`` (the default): the Snowball stemmers for Russian (Cyrillic words) and
  English (the rest), so that "абонемента", "абонементы" and "абонемент" meet, and so do
  "located" and "location"; stop words (``_stopwords.py``) are left out.
- ``light``: the sandbox's first analyzer, a short suffix stripper; kept so that
  ``bench/bench_search.py`` can show what Snowball changed, side by side.

``kbsync sandbox --analyzer NAME`` (or ``SANDBOX_ANALYZER``) picks one for the process.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable

import snowballstemmer

from sandbox._stopwords import ENGLISH, RUSSIAN

ENV = "SANDBOX_ANALYZER"
NAMES = ("snowball", "light")
DEFAULT = "snowball"

_WORD = re.compile(r"\w+", re.UNICODE)
_CYRILLIC = re.compile(r"[а-я]")
_ENDINGS_TEXT = """
    ями ами ого его ому ему ыми ими ешь ете ите ишь ует уют ает яет ают яют ость ости
    ой ей ий ый ая яя ое ее ую юю ов ев ам ям ах ях ом ем ым им ет ит ут ют ат ят
    ся сь ы и а я о е у ю ь
"""
# longest first, so "ами" wins over "и"
_RU_ENDINGS = sorted(re.findall(r"\S+", _ENDINGS_TEXT), key=len, reverse=True)


@functools.lru_cache(maxsize=1 << 18)
def _light_stem(word: str) -> str:
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


_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=1 << 18)
def _snowball_stem(word: str) -> str:
    if word.isdigit():
        return word
    stemmer = _RUSSIAN if _CYRILLIC.search(word) else _ENGLISH
    stem: str = stemmer.stemWord(word)
    return stem


_STOP_STEMS = frozenset(_snowball_stem(word) for word in (*ENGLISH, *RUSSIAN))


def _snowball_term(word: str) -> str | None:
    """The word's stem, or ``None`` for a stop word."""
    stem = _snowball_stem(word)
    return None if stem in _STOP_STEMS else stem


_STEMMERS: dict[str, Callable[[str], str | None]] = {
    "snowball": _snowball_term,
    "light": _light_stem,
}


def check(name: str) -> str:
    if name not in _STEMMERS:
        raise ValueError(f"Unknown analyzer {name!r}; use one of {', '.join(NAMES)}.")
    return name


_current = check(os.environ.get(ENV) or DEFAULT)


def use(name: str) -> None:
    """Analyze with ``name`` from now on (before any index is built: terms must agree)."""
    global _current
    _current = check(name)


def current() -> str:
    return _current


def words(text: str) -> list[str]:
    """``text``'s words as the analyzers see them: lower case, ``ё`` folded to ``е``."""
    return _WORD.findall(text.lower().replace("ё", "е"))


def stem(word: str) -> str:
    """One word's stem by the analyzer in use, stop words included (for phrases)."""
    return _snowball_stem(word) if _current == "snowball" else _light_stem(word)


def tokens(text: str) -> list[str]:
    """The index terms of ``text``, in order, by the analyzer in use."""
    stem = _STEMMERS[_current]
    terms = (stem(word) for word in _WORD.findall(text.lower().replace("ё", "е")))
    return [term for term in terms if term is not None]
