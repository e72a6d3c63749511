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

# ESC or its one-byte C1 form, and everything up to where a terminal ends the sequence:
# CSI "[" params final; OSC/DCS/SOS/PM/APC up to BEL or ST; else one more character.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x7e]?"
)
# Unicode's control characters (category Cc: C0, DEL, C1) and the line and paragraph
# separators (Zl, Zp), which end a line too.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_control(char: str) -> bool:
    return _CONTROL.match(char) is not None


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def printable(text: str) -> str:
    """``text`` without escape sequences or control characters (a tab becomes a space)."""
    if not has_control(text):
        return text
    return _CONTROL.sub("", _SEQUENCE.sub("", text).replace("\t", " "))


def escaped(text: str) -> str:
    """``text`` with each control character shown as an escape, the rest unchanged."""
    if not has_control(text):
        return text
    return _CONTROL.sub(lambda found: _shown(found.group()), text)


def _shown(char: str) -> str:
    return _SHORT.get(char, f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
