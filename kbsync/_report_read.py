"""Read the relay's log lines for ``kbsync report``: chats, feedback, leads, hand-offs.

One pass over every file (plain or gzipped, by content; ``-`` is standard input), adding
into counters as it goes; only the gap questions and the last rating of each answer are
kept. Nothing stops the report: a line that is not JSON (a cut last line, a journald
prefix without JSON), a line of another event or another knowledge base, a line before
``--since``, a gzipped file cut short by a rotation in progress — each is counted and
said, never a traceback. Lines of older relays lack ``channel``, ``variant``,
``response_id`` and ``stream``: they count as ``web``, ``main``, unrated, finished.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from kbcore import logfields as f
from kbcore.business import FEEDBACK_REASONS, MAIN_VARIANT
from kbcore.mask import mask
from kbcore.terminal import printable
from kbsync._chatlog import Chat, _count, _open, _paths, _shown, _time
from kbsync._gap_groups import reason

_decode = msgspec.json.Decoder().decode
_KEYS = (f'"{f.RESULTS}"', f'"{f.CHAT}"', f.FEEDBACK, f.LEAD, f.HANDOFF)


@dataclass
class Counts:
    chats: int = 0
    answered: int = 0  # finished with at least one cited document
    up: int = 0
    down: int = 0
    leads: int = 0
    handoffs: int = 0

    def as_dict(self, *keys: str) -> dict[str, int]:
        return {key: getattr(self, key) for key in keys}


@dataclass
class Day:
    chats: Counter[str] = field(default_factory=Counter)  # by channel
    answered: int = 0
    up: int = 0
    down: int = 0
    leads: int = 0
    handoffs: int = 0


@dataclass
class Skipped:
    unreadable: int = 0  # not a JSON object (a cut line, a foreign line)
    other: int = 0  # JSON, but no chat, feedback, lead or hand-off (other requests, startup)
    other_kb: int = 0  # another knowledge base's (with --kb-name)
    before: int = 0  # before --since (or no time while --since is given)
    cut_files: list[str] = field(default_factory=list)  # gzipped logs that end early

    @property
    def lines(self) -> int:
        return self.unreadable + self.other + self.other_kb + self.before


@dataclass
class Tallies:
    total: Counts = field(default_factory=Counts)
    by_channel: dict[str, Counts] = field(default_factory=dict)
    by_variant: dict[str, Counts] = field(default_factory=dict)
    days: dict[str, Day] = field(default_factory=dict)  # "2026-12-06" (UTC) → counts
    reasons: Counter[str] = field(default_factory=Counter)  # why a 👎
    kb_names: Counter[str] = field(default_factory=Counter)
    questions: list[tuple[Chat, str | None]] = field(default_factory=list)  # for the gaps
    skipped: Skipped = field(default_factory=Skipped)
    first_ts: str | None = None  # the earliest and latest "ts" read, as written
    last_ts: str | None = None
    # response id → (time, rating, reason, variant, channel): the last rating wins
    ratings: dict[str, tuple[str, str, str | None, str, str]] = field(default_factory=dict)
    unkeyed: list[tuple[str, str, str | None, str, str]] = field(default_factory=list)

    def add(self, channel: str, variant: str, day: str | None) -> tuple[Counts, Counts, Day]:
        by_channel = self.by_channel.get(channel) or self.by_channel.setdefault(channel, Counts())
        by_variant = self.by_variant.get(variant) or self.by_variant.setdefault(variant, Counts())
        key = day or "unknown"
        return by_channel, by_variant, self.days.get(key) or self.days.setdefault(key, Day())


def read_logs(
    paths: Iterable[str], *, since: datetime | None, kb_name: str | None, min_score: float
) -> Tallies:
    tallies = Tallies()
    tallies.by_variant[MAIN_VARIANT] = Counts()  # main is always the baseline
    since_text = since.strftime("%Y-%m-%dT%H:%M:%S") if since is not None else None
    for name in paths:
        with _open(name) as stream:
            try:
                for line in stream:
                    _line(line, tallies, since_text, kb_name, min_score)
            except (EOFError, zlib.error, OSError):
                # A rotation in progress or a copy cut short: what was read still counts.
                tallies.skipped.cut_files.append(_shown(name))
    _ratings(tallies)
    return tallies


def span(t: Tallies) -> tuple[datetime | None, datetime | None]:
    """The first and last time of the lines counted."""
    return _time(t.first_ts), _time(t.last_ts)


def _line(line: str, t: Tallies, since: str | None, kb_name: str | None, min_score: float) -> None:
    start = line.find("{")
    if start < 0:
        if line.strip():
            t.skipped.unreadable += 1
        return
    # Most lines are other requests (pings, the widget): four substring tests in C spare
    # them the JSON decoder. A line that names none of these keys cannot count.
    if not any(key in line for key in _KEYS):
        t.skipped.other += 1
        return
    try:
        record = _decode(line[start:])
    except msgspec.DecodeError:
        t.skipped.unreadable += 1
        return
    if not isinstance(record, dict):
        t.skipped.unreadable += 1
        return
    event = record.get(f.EVENT)
    kind = (
        "chat"
        if f.RESULTS in record or event == f.CHAT
        else event
        if event in (f.FEEDBACK, f.LEAD, f.HANDOFF)
        else None
    )
    if kind is None:
        t.skipped.other += 1
        return
    name = record.get(f.KB_NAME)
    if kb_name is not None and isinstance(name, str) and name != kb_name:
        t.skipped.other_kb += 1
        return
    ts = record.get(f.TS)
    ts = ts if isinstance(ts, str) and len(ts) >= 10 else None
    # ISO times in UTC compare as text: no datetime per line.
    if since is not None and (ts is None or ts[:19].replace(" ", "T") < since):
        t.skipped.before += 1
        return
    if isinstance(name, str):
        t.kb_names[name] += 1
    channel = _name(record.get(f.CHANNEL), "web")
    variant = _name(record.get(f.VARIANT), MAIN_VARIANT)
    day = ts[:10] if ts is not None else None
    if ts is not None:
        if t.first_ts is None or ts < t.first_ts:
            t.first_ts = ts
        if t.last_ts is None or ts > t.last_ts:
            t.last_ts = ts
    if kind == "chat":
        _chat(record, t, channel, variant, day, min_score)
    elif kind == f.FEEDBACK:
        _feedback(record, t, channel, variant, ts)
    else:
        by_channel, by_variant, bucket = t.add(channel, variant, day)
        for counts in (t.total, by_channel, by_variant):
            if kind == f.LEAD:
                counts.leads += 1
            else:
                counts.handoffs += 1
        if kind == f.LEAD:
            bucket.leads += 1
        else:
            bucket.handoffs += 1


def _chat(
    record: dict[str, Any],
    t: Tallies,
    channel: str,
    variant: str,
    day: str | None,
    min_score: float,
) -> None:
    finished = record.get(f.STREAM, "done") == "done"
    cited = _count(record.get(f.CITED))
    answered = finished and cited > 0
    by_channel, by_variant, bucket = t.add(channel, variant, day)
    for counts in (t.total, by_channel, by_variant):
        counts.chats += 1
        counts.answered += answered
    bucket.chats[channel] += 1
    bucket.answered += answered
    question = _question(record.get(f.QUESTION)) if finished else None
    if question is not None:
        score = record.get(f.TOP_SCORE)
        chat = Chat(
            ts=None,
            kb_name=None,
            results=_count(record.get(f.RESULTS)),
            top_score=float(score) if isinstance(score, int | float) else None,
            cited=cited,
            incomplete=None,
            question=question,
            closest=_paths(record.get(f.CLOSEST)) or _paths(record.get(f.RESULTS)),
        )
        t.questions.append((chat, reason(chat, min_score)))


def _feedback(
    record: dict[str, Any], t: Tallies, channel: str, variant: str, ts: str | None
) -> None:
    rating = record.get(f.RATING)
    if rating not in ("up", "down"):
        t.skipped.other += 1
        return
    why = record.get(f.REASON)
    entry = (ts or "", rating, why if why in FEEDBACK_REASONS else None, variant, channel)
    response_id = record.get(f.RESPONSE_ID)
    if not isinstance(response_id, str) or not response_id:
        t.unkeyed.append(entry)
        return
    before = t.ratings.get(response_id)
    if before is None or before[0] <= entry[0]:
        t.ratings[response_id] = entry


def _ratings(t: Tallies) -> None:
    for ts, rating, why, variant, channel in [*t.ratings.values(), *t.unkeyed]:
        by_channel, by_variant, bucket = t.add(channel, variant, ts[:10] or None)
        for counts in (t.total, by_channel, by_variant):
            if rating == "up":
                counts.up += 1
            else:
                counts.down += 1
        if rating == "up":
            bucket.up += 1
        else:
            bucket.down += 1
            t.reasons[why or "none"] += 1
    t.ratings.clear()
    t.unkeyed.clear()


def _question(value: Any) -> str | None:
    """The question cleaned as ``kbsync gaps`` cleans it (no control characters, masked:
    the relay masked it, a log from elsewhere may not have); ``str.isprintable`` spares
    the common case the character-by-character pass."""
    if not isinstance(value, str) or not value.strip():
        return None
    return mask(value if value.isprintable() else printable(value))


def _name(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value and len(value) <= 64 else default
