"""The gap report as a value, and its two renderings: Markdown for editors, JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from kbsync._gap_groups import LOW_SCORE, NO_RESULT, NOT_CITED, Group

_REASON_TEXT = {NO_RESULT: "nothing found", LOW_SCORE: "weak match", NOT_CITED: "no source cited"}


@dataclass(frozen=True)
class Report:
    chats: int  # chats read (after --since)
    gaps: int  # of them, gaps
    unlogged: int  # gaps whose question was not logged (LOG_QUESTIONS unset)
    first: datetime | None  # time of the oldest and newest chat read
    last: datetime | None
    since: datetime | None
    min_score: float
    kb_name: str | None  # only this KB's chats were read, when set
    groups: tuple[Group, ...]


def to_json(report: Report) -> str:
    document = {
        "kb_name": report.kb_name,
        "since": _iso(report.since),
        "first": _iso(report.first),
        "last": _iso(report.last),
        "min_score": report.min_score,
        "chats": report.chats,
        "gaps": report.gaps,
        "unlogged": report.unlogged,
        "groups": [
            {
                "words": list(g.words),
                "count": g.count,
                "reasons": g.reasons,
                "examples": list(g.examples),
                "closest": [{"path": path, "count": n} for path, n in g.closest],
            }
            for g in report.groups
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def to_markdown(report: Report) -> str:
    title = "# Knowledge-base gaps" + (f": {report.kb_name}" if report.kb_name else "")
    lines = [title, "", _overview(report), ""]
    if report.chats and not report.gaps:
        lines += ["Every chat found a document and cited it: nothing to add.", ""]
    if report.groups:
        lines += [
            "Questions are grouped by their topic: the significant word they share that "
            "visitors most often ask about without an answer. The most frequent come first. "
            "For each group: add or fix a document, then add the question to `kb/evals.yaml` "
            "so that it stays answered.",
            "",
        ]
    repeated = [g for g in report.groups if g.count > 1]
    once = [g for g in report.groups if g.count == 1]
    for number, g in enumerate(repeated, 1):
        label = " · ".join(g.words) if g.words else "(no significant words)"
        reasons = ", ".join(f"{_REASON_TEXT[r]}: {n}" for r, n in g.reasons.items() if n)
        lines += [f"## {number}. {label} — {g.count} chats", "", reasons.capitalize() + ".", ""]
        lines += [f"- {_quote(q)}" for q in g.examples]
        lines += ["", f"Closest documents: {_closest(g)}.", ""]
    if once:
        lines += ["## Asked once", ""]
        lines += [
            f"- {_quote(g.examples[0])} — {_REASON_TEXT[_only(g)]}; closest: {_closest(g)}"
            for g in once
        ]
        lines.append("")
    if report.unlogged:
        lines += [
            (
                "1 more chat found no answer, but the relay did not log its question"
                if report.unlogged == 1
                else f"{report.unlogged} more chats found no answer, but the relay did not "
                "log their questions"
            )
            + ": it writes them (masked) only with `LOG_QUESTIONS=1`.",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _closest(group: Group) -> str:
    if not group.closest:
        return "none found"
    if group.count == 1:
        return ", ".join(f"`{path}`" for path, _ in group.closest)
    return ", ".join(f"`{path}` ({n})" for path, n in group.closest)


def _only(group: Group) -> str:
    return next(r for r, n in group.reasons.items() if n)


def _overview(report: Report) -> str:
    if not report.chats:
        window = f" since {_day(report.since)}" if report.since else ""
        return f"No chats in the logs{window}."
    share = 100 * report.gaps / report.chats
    span = f"{_day(report.first)} to {_day(report.last)}"
    return (
        f"{report.gaps} of {_chats(report.chats)} ({share:.1f} %) from {span} found nothing, "
        f"found only weak matches (top score under {report.min_score:.2f}) or cited no document."
    )


def _chats(n: int) -> str:
    return "1 chat" if n == 1 else f"{n} chats"


def _quote(question: str) -> str:
    # Visitors' text, shown to editors on GitHub: keep it from becoming Markdown or HTML.
    escaped = question.replace("\\", "\\\\")
    for char in "`*_[]<>|#":
        escaped = escaped.replace(char, "\\" + char)
    return f"“{escaped}”"


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "an unknown time"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
