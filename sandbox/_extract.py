"""Text out of an uploaded document, by extension, as ``file_search`` would see it."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import PurePosixPath

from sandbox._formats import SUPPORTED_EXTENSIONS, TEXT_EXTENSIONS


class InvalidFile(Exception):
    """The bytes cannot be parsed as the extension promises (→ ``last_error.invalid_file``)."""


def extension(filename: str) -> str:
    return PurePosixPath(filename).suffix.lower()


def is_supported(filename: str) -> bool:
    return extension(filename) in SUPPORTED_EXTENSIONS


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidFile(f"The file is not valid UTF-8 text: {error}.") from None


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)


def _html_text(text: str) -> str:
    return html.unescape(_TAG.sub(" ", text))


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as error:  # pypdf raises many kinds for broken files
        raise InvalidFile(f"The PDF could not be parsed: {error}.") from None


# A .docx/.pptx is a zip archive: bound what reading it may inflate to, so that a zip
# bomb (a few MB that inflate to gigabytes) fails the file instead of the sandbox.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / archive bytes, once past _RATIO_FROM
_RATIO_FROM = 16 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


def _check_archive(data: bytes, kind: str) -> None:
    """Refuse an archive that declares, or really inflates to, more than the bounds: the
    declared sizes are checked first (cheap), then each member is inflated in chunks and
    counted, so a header that lies cannot get past either."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            _check_size(declared, len(data), kind)
            inflated = 0
            for info in archive.infolist():
                with archive.open(info) as member:
                    while chunk := member.read(_READ_CHUNK):
                        inflated += len(chunk)
                        _check_size(inflated, len(data), kind)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as error:
        raise InvalidFile(f"The {kind} could not be parsed: {error}.") from None


def _check_size(uncompressed: int, archive_bytes: int, kind: str) -> None:
    too_big = uncompressed > MAX_UNCOMPRESSED_BYTES
    too_dense = uncompressed > _RATIO_FROM and uncompressed > MAX_RATIO * archive_bytes
    if too_big or too_dense:
        raise InvalidFile(
            f"The {kind} inflates to at least {uncompressed:,} bytes uncompressed from "
            f"{archive_bytes:,} bytes; the limits are {MAX_UNCOMPRESSED_BYTES:,} bytes and "
            f"{MAX_RATIO} times the file's size, so it was not read."
        )


def _docx_text(data: bytes) -> str:
    import docx

    _check_archive(data, "DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:
        raise InvalidFile(f"The DOCX could not be parsed: {error}.") from None
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


_PPTX_RUN = re.compile(rb"<a:t>([^<]*)</a:t>")


def _pptx_text(data: bytes) -> str:
    _check_archive(data, "PPTX")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            slides = sorted(n for n in archive.namelist() if n.startswith("ppt/slides/slide"))
            runs = [_PPTX_RUN.findall(archive.read(name)) for name in slides]
    except (zipfile.BadZipFile, KeyError) as error:
        raise InvalidFile(f"The PPTX could not be parsed: {error}.") from None
    return "\n\n".join(html.unescape(b" ".join(r).decode("utf-8", "replace")) for r in runs)


def extract_text(filename: str, data: bytes) -> str:
    """The document's text. Raises ``InvalidFile`` when the content cannot be parsed
    or holds no text at all; legacy ``.doc`` is not parsed by the sandbox."""
    ext = extension(filename)
    if ext in TEXT_EXTENSIONS:
        text = _decode(data)
        if ext == ".html":
            text = _html_text(text)
        elif ext == ".json":
            try:
                json.loads(text)
            except ValueError as error:
                raise InvalidFile(f"The JSON could not be parsed: {error}.") from None
    elif ext == ".pdf":
        text = _pdf_text(data)
    elif ext == ".docx":
        text = _docx_text(data)
    elif ext == ".pptx":
        text = _pptx_text(data)
    else:
        raise InvalidFile(f"The sandbox cannot parse {ext or 'extension-less'} files.")
    if not text.strip():
        raise InvalidFile("The file contains no text.")
    return text
