"""Read the relay's access log: one chat per JSON line, plain or gzipped, several files.

The relay writes one JSON object per line (``relay._log``): ``ts`` (UTC,
``2026-05-01T12:00:00Z``) and, on each chat that reached file_search, ``kb_name``,
``results`` (how many results file_search returned), ``top_score``, ``cited`` (the
documents cited), ``incomplete`` and, only with ``LOG_QUESTIONS=1``, ``question``
(already masked). Any text before the first ``{`` of a line is ignored, so logs that
journald or a container runtime prefixed with their own time and name read the same.
Lines that are not such chats (other requests, startup lines, a cut last line) are
skipped and counted, and so are chats whose stream did not end ``done`` (an upstream
error, a visitor who left): what they lacked was an answer, not a document.

Every text read is made printable (``kbcore.terminal``: a visitor's escape sequences never
reach the editor's terminal) and questions are masked again (``kbcore.mask``), so a log
written before a spelling was known to the mask still reaches editors clean.

``results``, ``cited`` and ``closest`` (the documents file_search found, best first)
may each be a count or a list (of kb paths, or of objects with a ``path``); a list is
what lets the report name the documents that came closest.
"""

from __future__ import annotations

import gzip
import io
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import msgspec

from kbcore import logfields as f
from kbcore.errors import KbsyncError
from kbcore.mask import mask
from kbcore.output import display_path
from kbcore.terminal import printable

_GZIP_MAGIC = b"\x1f\x8b"
_RESULTS_KEY = f'"{f.RESULTS}"'  # a chat line holds it; other lines are skipped unread
_decode = msgspec.json.Decoder().decode
_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Chat:
    """One chat as the relay logged it."""

    ts: datetime | None
    kb_name: str | None
    results: int
    top_score: float | None
    cited: int
    incomplete: str | None
    question: str | None  # None unless the relay ran with LOG_QUESTIONS=1
    closest: tuple[str, ...]  # kb paths file_search found, best first (when logged)
    finished: bool = True  # the stream ended ``done`` (older lines say nothing: finished)


@dataclass
class Tally:
    """What reading skipped, for the report's footnote."""

    skipped: int = 0  # lines that are not chats
    unfinished: int = 0  # chats whose stream ended in an error or was left
    too_old: int = 0  # chats before --since


def parse_since(text: str, now: datetime) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` before ``now``, or an ISO date/time (UTC if naive)."""
    if matched := _SINCE.match(text):
        amount, unit = int(matched[1]), matched[2]
        return now - timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise KbsyncError(
            f"--since {text!r} is neither a duration (7d, 12h, 30m, 2w) nor a date "
            "(2026-05-01 or 2026-05-01T12:00:00Z); give one of those."
        ) from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_chats(paths: Iterable[str], since: datetime | None, tally: Tally) -> Iterator[Chat]:
    """Every chat of every log (``-`` is standard input), in file order."""
    for name in paths:
        with _open(name) as stream:
            try:
                for line in stream:
                    chat = _chat(line)
                    if chat is None:
                        tally.skipped += 1
                    elif not chat.finished:
                        tally.unfinished += 1
                    elif since is not None and (chat.ts is None or chat.ts < since):
                        tally.too_old += 1
                    else:
                        yield chat
            except (OSError, EOFError, zlib.error) as exc:
                raise KbsyncError(
                    f"{_shown(name)}: cannot be read to the end ({exc}); "
                    "a gzipped log may be cut short, decompress what is left with zcat."
                ) from exc


def _open(name: str) -> IO[str]:
    if name == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    path = Path(name)
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise KbsyncError(f"{_shown(name)}: no such log file; check the path.") from None
    except IsADirectoryError:
        raise KbsyncError(f"{_shown(name)}: is a folder; name the log files in it.") from None
    except OSError as exc:
        raise KbsyncError(f"{_shown(name)}: cannot be read ({exc.strerror}).") from exc
    # By content, not by name: logrotate's delaycompress and hand copies blur the names.
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", errors="replace")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def _shown(name: str) -> str:
    return "standard input" if name == "-" else display_path(Path(name))


def _chat(line: str) -> Chat | None:
    start = line.find("{")
    # Most lines are other requests: the substring test spares them the JSON decoder.
    if start < 0 or _RESULTS_KEY not in line:
        return None
    try:
        record = _decode(line[start:])
    except msgspec.DecodeError:
        return None
    if not isinstance(record, dict) or f.RESULTS not in record:
        return None
    question = _text(record.get(f.QUESTION))
    incomplete = _text(record.get(f.INCOMPLETE))
    kb_name = _text(record.get(f.KB_NAME))
    return Chat(
        ts=_time(record.get(f.TS)),
        kb_name=kb_name,
        results=_count(record.get(f.RESULTS)),
        top_score=_score(record.get(f.TOP_SCORE)),
        cited=_count(record.get(f.CITED)),
        incomplete=incomplete or None,
        question=mask(question) if question and question.strip() else None,
        closest=_paths(record.get(f.CLOSEST)) or _paths(record.get(f.RESULTS)),
        finished=record.get(f.STREAM, "done") == "done",
    )


def _text(value: Any) -> str | None:
    return printable(value) if isinstance(value, str) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, list):
        return len(value)
    return 0


def _score(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _paths(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    paths: list[str] = []
    for item in value:
        path = _text(item.get("path") if isinstance(item, dict) else item)
        if path and path not in paths:
            paths.append(path)
    return tuple(paths)
