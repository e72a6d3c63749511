"""An answer as Telegram messages: HTML-escaped text, the sources as titled links, and
pieces of at most 4,096 characters (Telegram counts UTF-16 code units after parsing).

The model's text is escaped whole (``<``, ``>``, ``&``): nothing it writes becomes markup.
A link is added only for an http(s) URL; a source without one is its title alone.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

MAX_MESSAGE = 4096
_BREAKS = ("\n\n", "\n", ". ", " ")


@dataclass(frozen=True)
class Link:
    title: str
    url: str | None


def units(text: str) -> int:
    """Telegram's length of ``text``: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def sources_html(sources: Sequence[Link], heading: str) -> tuple[str, str]:
    """(HTML, plain) of the sources line, e.g. ``Sources: <a href="…">Prices</a>``."""
    if not sources:
        return "", ""
    parts, plain = [], []
    for source in sources:
        title = source.title.strip() or "document"
        plain.append(title)
        url = source.url or ""
        if url.startswith(("https://", "http://")):
            parts.append(f'<a href="{html.escape(url, quote=True)}">{escape(title)}</a>')
        else:
            parts.append(escape(title))
    return f"{escape(heading)} " + ", ".join(parts), f"{heading} " + ", ".join(plain)


def split(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` in pieces of at most ``limit`` units, cut at a paragraph, a line, a
    sentence or a space when one is near, else anywhere (never inside a surrogate pair)."""
    pieces: list[str] = []
    rest = text.strip()
    while units(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        for mark in _BREAKS:
            at = window.rfind(mark)
            if at >= cut // 2:
                cut = at + len(mark)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _fit(text: str, limit: int) -> int:
    """The most characters of ``text`` that fit in ``limit`` units."""
    size = 0
    for index, char in enumerate(text):
        size += 2 if ord(char) > 0xFFFF else 1
        if size > limit:
            return index
    return len(text)


def final_messages(text: str, sources: Sequence[Link], heading: str) -> list[str]:
    """The answer as HTML messages, each at most 4,096 characters once parsed; the sources
    line ends the last one, or follows on its own when it does not fit."""
    line_html, line_plain = sources_html(sources, heading)
    pieces = split(text) or [""]
    out = [escape(piece) for piece in pieces]
    if line_html:
        if pieces[-1] and units(pieces[-1]) + 2 + units(line_plain) <= MAX_MESSAGE:
            out[-1] = f"{out[-1]}\n\n{line_html}"
        elif not pieces[-1]:
            out[-1] = line_html
        else:
            out.append(line_html)
    return [piece for piece in out if piece]


def draft_text(text: str) -> str:
    """What a draft shows: the text so far, its last 4,096 units when longer."""
    if units(text) <= MAX_MESSAGE:
        return text
    tail = text[-MAX_MESSAGE + 1 :]
    while units("…" + tail) > MAX_MESSAGE:
        tail = tail[1:]
    return "…" + tail
