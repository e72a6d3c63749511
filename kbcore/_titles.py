"""A document's own title, for people: what the widget shows for a cited source.

By format: the first Markdown heading (ATX ``# …`` or setext), HTML's ``<title>`` else
its first ``<h1>``, the title property of a PDF (its document information) or of a
DOCX/PPTX (its core properties), else the file name without its extension. Whitespace
is collapsed and the result cut to ``TITLE_MAX`` characters (the attribute's limit).

Only what is needed is read: the first ``HEAD_BYTES`` of a text file, a PDF's trailer
and information dictionary, and one small part of an Office zip, so a large document
costs no more than a small one. A title that cannot be read is not a problem with
the document (OpenAI parses it, not this), so every failure falls back to the name.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from kbcore._links import open_nofollow
from kbcore._settings import ATTRIBUTE_VALUE_MAX

TITLE_MAX = ATTRIBUTE_VALUE_MAX
HEAD_BYTES = 64 * 1024
PART_MAX = 1024 * 1024  # an Office part larger than this is not a real core.xml: skip it


def title_of(path: Path, rel: str) -> str:
    """The title of the document at ``path`` whose kb path is ``rel`` (never raises)."""
    reader = _READERS.get(PurePosixPath(rel).suffix.lower())
    found = reader(path) if reader is not None else None
    return clean(found or "") or clean(PurePosixPath(rel).stem) or PurePosixPath(rel).name


def clean(text: str) -> str:
    """Control characters dropped, whitespace collapsed, at most ``TITLE_MAX`` characters."""
    visible = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in text
        if unicodedata.category(c) != "Cf" or c == "\u200d"  # keep emoji joiners
    )
    return " ".join(visible.split())[:TITLE_MAX].rstrip()


# -- text formats ---------------------------------------------------------------


def _head_text(path: Path) -> str:
    """The first ``HEAD_BYTES`` decoded as the loader checks them (UTF-16 by BOM, else UTF-8)."""
    with open_nofollow(path) as stream:
        head = stream.read(HEAD_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", "ignore")
    return head.decode("utf-8-sig", "ignore")  # "ignore": the cut may split a character


_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*{1,3}|`+)(\S(?:.*?\S)?)\1|(?<!\w)(_{1,3})(\S(?:.*?\S)?)\3(?!\w)")
_NOT_PARAGRAPH = re.compile(r"^ {0,3}(?:[-*+>]|\d{1,9}[.)])(?:[ \t]|$)")  # list item, quote


def _markdown(path: Path) -> str | None:
    lines = _head_text(path).splitlines()
    start = _after_front_matter(lines)
    fence: str | None = None
    previous: str | None = None  # the paragraph line a setext underline would make a heading
    for line in lines[start:]:
        opened = _FENCE.match(line)
        if fence is not None:
            if opened is not None and opened.group(1)[0] == fence[0]:
                fence = None
            continue
        if opened is not None:
            fence, previous = opened.group(1), None
            continue
        atx = _ATX.match(line)
        if atx is not None and atx.group(1):
            return _inline(atx.group(1))
        if previous is not None and _SETEXT.match(line):
            return _inline(previous)
        paragraph = not line.startswith(("    ", "\t")) and not _NOT_PARAGRAPH.match(line)
        previous = line if line.strip() and paragraph and atx is None else None
    return None


def _after_front_matter(lines: list[str]) -> int:
    """Where the body starts when the file opens with a YAML front matter block."""
    if lines and lines[0].strip() == "---":
        for index, line in enumerate(lines[1:], start=1):
            if line.strip() in ("---", "..."):
                return index + 1
    return 0


def _inline(text: str) -> str:
    """The heading's words without Markdown's link and emphasis marks."""
    text = _LINK.sub(r"\1", text)
    return _EMPHASIS.sub(lambda m: m.group(2) or m.group(4), text)


class _HtmlTitle(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside: str | None = None  # "title" or "h1" while reading one
        self.title: list[str] = []
        self.h1: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.title:
            self.inside = "title"
        elif tag == "h1" and not self.h1:
            self.inside = "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == self.inside:
            self.inside = None

    def handle_data(self, data: str) -> None:
        if self.inside == "title":
            self.title.append(data)
        elif self.inside == "h1":
            self.h1.append(data)


def _html(path: Path) -> str | None:
    parser = _HtmlTitle()
    parser.feed(_head_text(path))
    return clean("".join(parser.title)) or clean("".join(parser.h1)) or None


# -- binary formats ---------------------------------------------------------------


def _pdf(path: Path) -> str | None:
    from pypdf import PdfReader  # imported here: only KBs with PDFs pay for it

    # An open file, not the path: given a path, pypdf reads the whole file into memory.
    # Given a stream it seeks to the trailer, the xref and the information dictionary.
    with open_nofollow(path) as stream:
        try:
            metadata = PdfReader(stream).metadata
            title = metadata.title if metadata is not None else None
        except Exception:  # pypdf raises many kinds for broken files; the name will do
            return None
    return str(title) if title else None


_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _office(path: Path) -> str | None:
    """The ``dc:title`` of an OOXML package (DOCX, PPTX): the part its root rels name.

    Read from the zip directly: python-docx would parse the whole document body, and
    python-pptx is not a dependency; both read this same part."""
    try:
        with open_nofollow(path) as stream, zipfile.ZipFile(stream) as archive:
            target = "docProps/core.xml"
            rels = _part(archive, "_rels/.rels")
            if rels is not None:
                for rel in rels.iter(f"{_RELS_NS}Relationship"):
                    if rel.get("Type") == _CORE_REL and rel.get("Target"):
                        target = str(rel.get("Target")).lstrip("/")
            core = _part(archive, target)
    except (
        OSError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted member
        ElementTree.ParseError,
        ValueError,
    ):
        return None
    element = core.find(_DC_TITLE) if core is not None else None
    return element.text if element is not None else None


def _part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > PART_MAX:
        return None
    with archive.open(info) as stream:
        data = stream.read(PART_MAX + 1)  # bounded even if the header lies about the size
    if len(data) > PART_MAX:
        return None
    return ElementTree.fromstring(data)


def _safe(reader: Callable[[Path], str | None]) -> Callable[[Path], str | None]:
    def read(path: Path) -> str | None:
        try:
            return reader(path)
        except (OSError, ValueError, AssertionError):  # html.parser may assert on odd markup
            # Unreadable now: the hash pass reports the file itself.
            return None

    return read


_READERS: dict[str, Callable[[Path], str | None]] = {
    ".md": _safe(_markdown),
    ".html": _safe(_html),
    ".pdf": _safe(_pdf),
    ".docx": _safe(_office),
    ".pptx": _safe(_office),
}
