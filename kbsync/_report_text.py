"""The report as text: readable on a terminal and as Markdown (a CI job summary)."""

from __future__ import annotations

from kbsync._report import Report
from kbsync._report_read import Counts
from kbsync._report_stats import MIN_CHATS, Comparison
from kbsync._report_words import WORDS, number, p_value, percent


def to_text(report: Report, lang: str) -> str:
    w = WORDS[lang]
    total = report.total
    lines = [f"## {w['title']}" + (f": {report.kb_name}" if report.kb_name else "")]
    if report.first is not None and report.last is not None:
        lines.append(
            w["period"].format(first=f"{report.first:%Y-%m-%d}", last=f"{report.last:%Y-%m-%d}")
        )
    lines.append("")
    if not total.chats:
        lines.append(w["no_data"])
    lines += [f"- {line}" for line in summary_lines(total, report, lang)]
    if len(report.by_channel) > 1 or len(report.by_variant) > 1:
        lines += ["", f"### {w['by_channel']} / {w['by_variant']}", ""]
        lines += table(report, lang)
    if report.tests:
        lines += [
            "",
            f"### {w['by_variant']}",
            "",
            w["test"].format(test=w["test_name"], min=MIN_CHATS),
            "",
        ]
        lines += [f"- {sentence(test, lang)}" for test in report.tests]
    lines += ["", f"### {w['gaps']}", ""]
    if report.gaps:
        for gap in report.gaps:
            example = f" — «{gap.examples[0]}»" if gap.examples else ""
            words = " ".join(gap.words) or "…"
            lines.append(f"- {number(gap.count, lang)} × {words}{example}")
    else:
        lines.append(w["no_gaps"])
    notes = skipped_lines(report, lang)
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def summary_lines(total: Counts, report: Report, lang: str) -> list[str]:
    w = WORDS[lang]
    rated = total.up + total.down
    channels = ", ".join(
        f"{name} {number(report.by_channel[name].chats, lang)}" for name in report.channels()
    )
    reasons = ", ".join(
        f"{w['reason_' + name]} {number(n, lang)}" for name, n in report.reasons.items()
    )
    return [
        f"{w['chats']}: {number(total.chats, lang)}" + (f" ({channels})" if channels else ""),
        f"{w['answered']}: {number(total.answered, lang)}"
        f" ({percent(_share(total.answered, total.chats), lang)})",
        f"{w['feedback']}: 👍 {number(total.up, lang)}, 👎 {number(total.down, lang)}"
        f" ({w['up_share']} {percent(_share(total.up, rated), lang)})"
        + (f"; {w['reasons']}: {reasons}" if reasons else ""),
        f"{w['leads']}: {number(total.leads, lang)}"
        f" ({w['conversion']} {percent(_share(total.leads, total.chats), lang)})",
        f"{w['handoffs']}: {number(total.handoffs, lang)}",
    ]


def table(report: Report, lang: str) -> list[str]:
    w = WORDS[lang]
    head = f"| | {w['chats']} | {w['answered']} | {w['up_share']} | {w['leads']} |"
    rows = [head, "|---|---:|---:|---:|---:|"]
    groups = [(f"{w['channel']} {n}", report.by_channel[n]) for n in report.channels()]
    groups += [(f"{w['variant']} {n}", c) for n, c in report.by_variant.items()]
    for label, counts in groups:
        rows.append(
            f"| {label} | {number(counts.chats, lang)}"
            f" | {percent(_share(counts.answered, counts.chats), lang)}"
            f" | {percent(_share(counts.up, counts.up + counts.down), lang)}"
            f" | {number(counts.leads, lang)} |"
        )
    return rows


def sentence(test: Comparison, lang: str) -> str:
    """ "variant warm: 31 % 👍 vs 24 %, p = 0.03, 1,240 chats a side" or "not enough data"."""
    w = WORDS[lang]
    if test.variant_chats == test.main_chats:
        chats = w["a_side"].format(n=number(test.variant_chats, lang))
    else:
        chats = w["two_sides"].format(
            v=number(test.variant_chats, lang), m=number(test.main_chats, lang)
        )
    values = {
        "variant": test.variant,
        "v": percent(test.variant_rate, lang),
        "m": percent(test.main_rate, lang),
        "metric": w["metric_" + test.metric],
        "chats": chats,
    }
    if test.p_value is None:
        return w["not_enough"].format(**values)
    return w["sentence"].format(p=p_value(test.p_value, lang), **values)


def skipped_lines(report: Report, lang: str) -> list[str]:
    w = WORDS[lang]
    s = report.skipped
    parts = [
        w[key].format(n=number(n, lang))
        for key, n in (
            ("unreadable", s.unreadable),
            ("other", s.other),
            ("other_kb", s.other_kb),
            ("before", s.before),
        )
        if n
    ]
    lines = [w["skipped"].format(n=number(s.lines, lang), what=", ".join(parts))] if parts else []
    if s.cut_files:
        lines.append(w["cut"].format(files=", ".join(s.cut_files)))
    if len(report.kb_names) > 1 and report.kb_name is None:
        lines.append(w["several_kbs"].format(names=", ".join(report.kb_names)))
    return lines


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
