"""``kbsync report LOG...``: how the assistant does — chats, answers, feedback, leads,
hand-offs, gaps, per channel and per variant, with each variant tested against ``main``.

Reading is ``_report_read`` (one pass, tolerant), the statistics ``_report_stats``, the
renderings ``_report_text`` (text/Markdown, JSON) and ``_report_html`` (one page, inline
SVG). A "chat" is one question the relay answered (one chat log line); conversion is
leads per chat.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kbcore.business import FEEDBACK_REASONS, MAIN_VARIANT
from kbcore.errors import KbsyncError
from kbcore.output import display_path, info, result
from kbsync._chatlog import parse_since
from kbsync._gap_groups import MIN_SCORE, Group, group
from kbsync._report_read import Counts, Day, Skipped, Tallies, read_logs, span
from kbsync._report_stats import METRICS, Comparison, compare

TOP_GAPS = 10
MAX_DAYS = 400  # a chart of more days than this shows the last ones


@dataclass(frozen=True)
class ReportOptions:
    logs: tuple[str, ...]
    since: str | None = "30d"
    html: Path | None = None
    as_json: bool = False
    lang: str = "en"
    kb_name: str | None = None


@dataclass(frozen=True)
class Report:
    kb_name: str | None
    kb_names: tuple[str, ...]  # every knowledge base the counted lines name
    since: datetime | None
    first: datetime | None
    last: datetime | None
    total: Counts
    by_channel: dict[str, Counts]
    by_variant: dict[str, Counts]
    days: tuple[tuple[str, Day], ...]  # every UTC day from the first to the last, in order
    reasons: dict[str, int]  # why a 👎 → count
    tests: tuple[Comparison, ...]
    gaps: tuple[Group, ...]
    skipped: Skipped

    def channels(self) -> list[str]:
        return sorted(self.by_channel, key=lambda name: (name != "web", name))

    def to_dict(self) -> dict[str, object]:
        total = self.total
        keys = ("chats", "answered", "up", "down", "leads", "handoffs")
        return {
            "chats": total.chats,
            "answered": total.answered,
            "feedback": {"up": total.up, "down": total.down, "reasons": self.reasons},
            "leads": total.leads,
            "handoffs": total.handoffs,
            "by_channel": {name: self.by_channel[name].as_dict(*keys) for name in self.channels()},
            "by_variant": {
                name: counts.as_dict("chats", "answered", "up", "down", "leads")
                for name, counts in self.by_variant.items()
            },
            "tests": [test.as_dict() for test in self.tests],
            "kb_name": self.kb_name,
            "since": _iso(self.since),
            "first": _iso(self.first),
            "last": _iso(self.last),
            "days": [
                {
                    "date": day,
                    "chats": dict(counts.chats),
                    "answered": counts.answered,
                    "up": counts.up,
                    "down": counts.down,
                    "leads": counts.leads,
                    "handoffs": counts.handoffs,
                }
                for day, counts in self.days
            ],
            "gaps": [
                {"words": list(g.words), "count": g.count, "examples": list(g.examples)}
                for g in self.gaps
            ],
            "skipped": {
                "unreadable": self.skipped.unreadable,
                "other": self.skipped.other,
                "other_kb": self.skipped.other_kb,
                "before_since": self.skipped.before,
                "cut_files": self.skipped.cut_files,
            },
        }


def report(options: ReportOptions, *, now: datetime | None = None) -> int:
    """Print the report (text, or ``--json``); write ``--html FILE``. Exit code 0."""
    from kbsync._report_html import to_html  # the renderers import Report
    from kbsync._report_text import to_text

    built = build(options, now=now or datetime.now(UTC))
    if len(built.kb_names) > 1 and options.kb_name is None:
        info(
            f"These logs hold several knowledge bases ({', '.join(built.kb_names)});"
            " pass --kb-name NAME for one."
        )
    if options.html is not None:
        try:
            options.html.write_text(to_html(built, options.lang), encoding="utf-8")
        except OSError as exc:
            raise KbsyncError(
                f"{display_path(options.html)}: cannot be written ({exc.strerror})."
            ) from exc
        info(f"Wrote {display_path(options.html)}.")
    if options.as_json:
        result(json.dumps(built.to_dict(), ensure_ascii=False, indent=2))
    elif options.html is None:
        result(to_text(built, options.lang))
    return 0


def build(options: ReportOptions, *, now: datetime, min_score: float = MIN_SCORE) -> Report:
    since = parse_since(options.since, now) if options.since else None
    tallies = read_logs(options.logs, since=since, kb_name=options.kb_name, min_score=min_score)
    first, last = span(tallies)
    return Report(
        kb_name=options.kb_name or _only(tallies.kb_names),
        kb_names=tuple(sorted(tallies.kb_names)),
        since=since,
        first=first,
        last=last,
        total=tallies.total,
        by_channel=tallies.by_channel,
        by_variant=_variants(tallies),
        days=_days(tallies),
        reasons={r: tallies.reasons[r] for r in (*FEEDBACK_REASONS, "none") if tallies.reasons[r]},
        tests=tuple(_tests(tallies)),
        gaps=tuple(group(tallies.questions)[:TOP_GAPS]),
        skipped=tallies.skipped,
    )


def _variants(t: Tallies) -> dict[str, Counts]:
    others = sorted(name for name in t.by_variant if name != MAIN_VARIANT)
    return {MAIN_VARIANT: t.by_variant[MAIN_VARIANT], **{n: t.by_variant[n] for n in others}}


def _tests(t: Tallies) -> list[Comparison]:
    main = t.by_variant[MAIN_VARIANT]
    tests = []
    for name, counts in _variants(t).items():
        if name == MAIN_VARIANT:
            continue
        chats = (counts.chats, main.chats)
        for metric in METRICS:
            if metric == "up":
                pair = ((counts.up, main.up), (counts.up + counts.down, main.up + main.down))
            elif metric == "answered":
                pair = ((counts.answered, main.answered), chats)
            else:
                pair = ((counts.leads, main.leads), chats)
            tests.append(compare(name, metric, pair[0], pair[1], chats))
    return tests


def _days(t: Tallies) -> tuple[tuple[str, Day], ...]:
    dated = sorted(day for day in t.days if day != "unknown")
    if not dated:
        return ()
    try:
        start, end = date.fromisoformat(dated[0]), date.fromisoformat(dated[-1])
    except ValueError:
        return tuple((day, t.days[day]) for day in dated[-MAX_DAYS:])
    start = max(start, end - timedelta(days=MAX_DAYS - 1))
    days = []
    while start <= end:
        key = start.isoformat()
        days.append((key, t.days.get(key) or Day()))
        start += timedelta(days=1)
    return tuple(days)


def _only(names: Counter[str]) -> str | None:
    return next(iter(names)) if len(names) == 1 else None


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
