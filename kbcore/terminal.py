"""Text from others made safe to print on a terminal or into a CI log.

Visitors' questions, file names from a pull request and values from a remote store can
hold control characters: ``ESC c`` resets a terminal, ``ESC ]`` (or the one-byte C1
``OSC``) retitles it or writes a hyperlink, a newline starts a line that a CI runner
reads as a workflow command (``::error …::``). Two treatments:

- ``printable`` drops them, escape sequences whole (for prose such as a question);
- ``escaped`` shows them as ``\\n``, ``\\x1b``… (for names, which must stay recognisable).

>>> printable("Hello\\x1b]0;owned\\x07 there\\x1bc")
'Hello there'
>>> escaped("notes\\n::error::x.md")
'notes\\\\n::error::x.md'
"""

from __future__ import annotations

import re
import unicodedata

# ESC or its one-byte C1 form, and everything up to where a terminal ends the sequence:
# CSI "[" params final; OSC/DCS/SOS/PM/APC up to BEL or ST; else one more character.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x7e]?"
)
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_control(char: str) -> bool:
    """C0, DEL, C1, and the line and paragraph separators (they end a line too)."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def has_control(text: str) -> bool:
    return any(is_control(c) for c in text)


def printable(text: str) -> str:
    """``text`` without escape sequences or control characters (a tab becomes a space)."""
    text = _SEQUENCE.sub("", text).replace("\t", " ")
    return "".join(c for c in text if not is_control(c))


def escaped(text: str) -> str:
    """``text`` with each control character shown as an escape, the rest unchanged."""
    if not has_control(text):
        return text
    return "".join(
        _SHORT.get(c, f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if is_control(c)
        else c
        for c in text
    )
