"""The Bot API's HTML parse mode, strictly: what a message's text is after parsing.

Telegram accepts a small set of tags and only the entities ``&lt; &gt; &amp; &quot;``
and numeric ones; a bare ``<`` or an unknown tag fails the whole call with
``Bad Request: can't parse entities: …``. The fake parses the same way, so a bot that
forgets to escape a visitor's ``<`` fails here as it would live. Lengths are counted in
UTF-16 code units, as Telegram counts entity offsets.
"""

from __future__ import annotations

import re

from sandbox.telegram._errors import BotApiError, bad_request

TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?([^<>]*)>")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
_ENTITY_START = re.compile(r"&[#a-zA-Z0-9]")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _fail(reason: str) -> BotApiError:
    return bad_request(f"can't parse entities: {reason}")


def _entity(text: str, index: int) -> tuple[str, int]:
    match = _ENTITY.match(text, index)
    if match is None:
        if _ENTITY_START.match(text, index):
            raise _fail(
                f"Can't find end of the entity starting at byte offset {_offset(text, index)}"
            )
        return "&", index + 1
    name = match.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16)), match.end()
    if name.startswith("#"):
        return chr(int(name[1:])), match.end()
    # an unknown named entity is left as it was written
    return _NAMED.get(name, match.group(0)), match.end()


def plain_text(html: str) -> str:
    """The text a reader sees; raises the Bot API's parse error for bad markup."""
    out: list[str] = []
    stack: list[str] = []
    index = 0
    while index < len(html):
        char = html[index]
        if char == "&":
            piece, index = _entity(html, index)
            out.append(piece)
            continue
        if char != "<":
            out.append(char)
            index += 1
            continue
        match = _TAG.match(html, index)
        if match is None or match.group(2) is None:
            raise _fail(f"Unsupported start tag at byte offset {_offset(html, index)}")
        closing, name = match.group(1) == "/", match.group(2).lower()
        if closing:
            if not stack:
                raise _fail(f"Unexpected end tag at byte offset {_offset(html, index)}")
            if stack[-1] != name:
                raise _fail(
                    f"Unmatched end tag at byte offset {_offset(html, index)}, "
                    f'expected "</{stack[-1]}>", found "</{name}>"'
                )
            stack.pop()
        else:
            if name not in TAGS:
                raise _fail(f'Unsupported start tag "{name}" at byte offset {_offset(html, index)}')
            stack.append(name)
        index = match.end()
    if stack:
        raise _fail(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def links(html: str) -> list[tuple[str, str]]:
    """``(href, text)`` of each ``<a>`` (for the page and the tests)."""
    found = re.finditer(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', html, flags=re.S)
    return [(m.group(1), plain_text(m.group(2))) for m in found]


def message_text(text: str, parse_mode: str | None) -> str:
    """The text after entities parsing, for the given ``parse_mode``."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        return plain_text(text)
    if mode in ("markdown", "markdownv2"):
        return text  # not modelled: the product sends HTML only
    raise bad_request("unsupported parse_mode")
