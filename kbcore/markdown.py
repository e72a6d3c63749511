"""Put untrusted text (file names, OpenAI's messages) into GitHub-flavoured Markdown so
that it renders as itself: in a table cell, as a code span or as plain text.

File names and golden questions come from whoever can push a branch; a name such as
``a`b.md``, ``x|y.md`` or ``<img src=x>.md`` must neither end a code span, split a table
row, start emphasis nor become HTML in the pull-request comment. Text that must not
become a link or an @mention either (GitHub links bare URLs and ``@name`` in text, but
never inside code) goes in as ``code``.
"""

from __future__ import annotations

import re

# Characters that can start Markdown (or HTML) inline: escaped with a backslash, which
# CommonMark allows before any ASCII punctuation. "|" splits a GFM table row.
_SPECIAL = re.compile(r"([\\`*\[\]<>&~|])")
# "_" opens or closes emphasis only next to something other than a letter or digit.
_LOOSE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_TICKS = re.compile(r"`+")


def _one_line(value: str) -> str:
    return " ".join(value.splitlines())


def text(value: str) -> str:
    """``value`` as plain text in a table cell (or anywhere inline)."""
    escaped = _SPECIAL.sub(r"\\\1", _one_line(value))
    return _LOOSE_UNDERSCORE.sub(r"\\_", escaped)


def code(value: str) -> str:
    """``value`` as a code span in a table cell: a fence longer than any run of
    backticks inside, padded when the value starts or ends with one; ``|`` escaped as
    GFM tables require (the table parser removes the backslash, even inside code)."""
    value = _one_line(value)
    fence = "`" * (max((len(run) for run in _TICKS.findall(value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value.replace('|', chr(92) + '|')}{pad}{fence}"
