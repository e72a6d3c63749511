"""Gitignore-style globs for ``files.exclude`` (and the ``attributes`` globs).

Paths are POSIX paths relative to ``kb/files/``. The rules are git's:

- a pattern with a ``/`` at the start or in the middle is anchored to ``kb/files/``;
  without one it matches at any depth (``*.tmp``, ``drafts/``);
- ``*`` and ``?`` never match ``/``; ``[abc]``/``[!a-z]`` are character classes;
- ``**/`` matches any number of leading folders, ``/**`` everything inside,
  ``/**/`` zero or more folders in between;
- a trailing ``/`` matches folders only;
- ``!`` re-includes what an earlier pattern excluded; the last matching pattern wins.
  As in git, a file inside an excluded folder cannot be re-included (the walk never
  enters that folder), so exclude ``drafts/**`` rather than ``drafts/`` to keep
  ``!drafts/keep.md`` working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    source: str
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool

    def matches(self, path: str, *, is_dir: bool = False) -> bool:
        if self.dir_only and not is_dir:
            return False
        return self.regex.match(path) is not None


def compile_pattern(source: str) -> Pattern:
    """Compile one gitignore-style pattern; raises ``ValueError`` with a sentence if it is empty."""
    text = source.strip()
    negated = text.startswith("!")
    if negated or text.startswith("\\!"):  # "\\!" is a literal "!"
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        raise ValueError("is empty")
    anchored = "/" in text
    text = text.removeprefix("/")
    prefix = "" if anchored else "(?:.*/)?"
    return Pattern(source, re.compile(f"^{prefix}{_translate(text)}$", re.S), negated, dir_only)


def _translate(glob: str) -> str:
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        if glob.startswith("**", i) and (i == 0 or glob[i - 1] == "/"):
            after = i + 2
            if after == n:  # "a/**" or a lone "**": everything below
                out.append(".*")
                i = after
                continue
            if glob[after] == "/":  # "**/x" or "a/**/x": zero or more folders
                out.append("(?:.*/)?")
                i = after + 1
                continue
        char = glob[i]
        if char == "*":
            while i + 1 < n and glob[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = _class_end(glob, i)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = glob[i + 1 : end]
                if body[:1] in ("!", "^"):
                    body = "^" + body[1:]
                out.append("[" + "".join("\\" + c if c in "\\[&~|" else c for c in body) + "]")
                i = end
        elif char == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _class_end(glob: str, start: int) -> int:
    i = start + 1
    if i < len(glob) and glob[i] in "!^":
        i += 1
    if i < len(glob) and glob[i] == "]":
        i += 1
    end = glob.find("]", i)
    return end


class Excluder:
    """The ``files.exclude`` list: ``excluded(path, is_dir)`` answers with the last match."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(compile_pattern(p) for p in patterns)

    def excluded(self, path: str, *, is_dir: bool = False) -> bool:
        verdict = False
        for pattern in self.patterns:
            if pattern.matches(path, is_dir=is_dir):
                verdict = not pattern.negated
        return verdict
