"""``kbsync gaps LOG...``: what visitors asked that the KB could not answer.

Reads the relay's access logs (``_chatlog``), keeps the chats that are gaps and groups
their questions (``_gap_groups``), and prints the report (``_gap_report``): Markdown
for editors, or ``--json``. When ``--kb`` names a KB folder that exists, only that
KB's chats are read (a log shared by several relays holds several KBs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kbcore.kb import load_spec
from kbcore.output import display_path, info, result
from kbsync._chatlog import Chat, Tally, parse_since, read_chats
from kbsync._gap_groups import MIN_SCORE, group, reason
from kbsync._gap_report import Report, to_json, to_markdown


@dataclass(frozen=True)
class GapsOptions:
    logs: tuple[str, ...]
    kb_dir: Path
    since: str | None = None
    min_score: float = MIN_SCORE
    as_json: bool = False


def gaps(options: GapsOptions, *, now: datetime | None = None) -> int:
    """Print the report; exit code 0 (a report with gaps is still a report)."""
    report = build(options, now=now or datetime.now(UTC))
    result(to_json(report) if options.as_json else to_markdown(report).rstrip("\n"))
    return 0


def build(options: GapsOptions, *, now: datetime) -> Report:
    since = parse_since(options.since, now) if options.since else None
    kb_name = load_spec(options.kb_dir).name if options.kb_dir.is_dir() else None
    if kb_name is not None:
        info(f"Reading the chats of knowledge base {kb_name} ({display_path(options.kb_dir)}/).")
    tally = Tally()
    chats = gap_count = unlogged = other_kb = 0
    first: datetime | None = None
    last: datetime | None = None
    found: list[tuple[Chat, str | None]] = []
    for chat in read_chats(options.logs, since, tally):
        if kb_name is not None and chat.kb_name not in (None, kb_name):
            other_kb += 1
            continue
        chats += 1
        if chat.ts is not None:
            first = chat.ts if first is None or chat.ts < first else first
            last = chat.ts if last is None or chat.ts > last else last
        why = reason(chat, options.min_score)
        found.append((chat, why))
        if why is not None:
            gap_count += 1
            unlogged += chat.question is None
    skipped = [
        *([f"{tally.skipped} lines that are not chats"] if tally.skipped else []),
        *([f"{tally.unfinished} chats that ended before an answer"] if tally.unfinished else []),
        *([f"{tally.too_old} chats before {since:%Y-%m-%d %H:%M} UTC"] if tally.too_old else []),
        *([f"{other_kb} chats of other knowledge bases"] if other_kb else []),
    ]
    if skipped:
        info("Skipped " + ", ".join(skipped) + ".")
    return Report(
        chats=chats,
        gaps=gap_count,
        unlogged=unlogged,
        first=first,
        last=last,
        since=since,
        min_score=options.min_score,
        kb_name=kb_name,
        groups=tuple(group(found)),
    )
