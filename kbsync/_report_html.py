"""The report as one self-contained HTML page: inline CSS and SVG charts, no script, nothing
loaded from elsewhere (its Content-Security-Policy forbids it), readable on a phone and in
print. Every text from the logs is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kbsync._report import Report
from kbsync._report_stats import MIN_CHATS, Comparison
from kbsync._report_text import sentence, skipped_lines, summary_lines
from kbsync._report_words import WORDS, number, percent

PALETTE = ("#1f5fbf", "#d9822b", "#2e8b57", "#8e44ad", "#b03a48", "#5d6d7e")
MAIN_COLOR, VARIANT_COLOR = "#8a94a3", "#1f5fbf"
W, H, PAD_L, PAD_B, PAD_T = 560, 200, 44, 26, 10

CSS = """
:root{color-scheme:light}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1d2127;background:#fff}
main{max-width:760px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 8px}
.period{color:#59606b;margin:0 0 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px;padding:0;
list-style:none}
.cards li{border:1px solid #d5dae1;border-radius:10px;padding:8px 10px}
.cards b{display:block;font-size:22px}
figure{margin:14px 0;break-inside:avoid;page-break-inside:avoid}
figcaption{font-weight:600;margin-bottom:4px}
svg{width:100%;height:auto;display:block}
svg text{font:13px system-ui,sans-serif;fill:#59606b}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:13px;margin-top:4px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:4px;
vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:5px 6px;border-bottom:1px solid #e3e6ea;text-align:right}
th:first-child,td:first-child{text-align:left}
.wrap{overflow-x:auto}
.note{color:#59606b;font-size:13px}
.test{margin:4px 0 10px}
q{font-style:italic}
@media print{body{font-size:12px}main{max-width:none;padding:0}h2{break-after:avoid}
a{color:inherit}}
"""


def to_html(report: Report, lang: str) -> str:
    w = WORDS[lang]
    title = w["title"] + (f": {report.kb_name}" if report.kb_name else "")
    parts = [
        "<!doctype html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " style-src 'unsafe-inline'; img-src data:\">",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
    ]
    if report.first is not None and report.last is not None:
        period = w["period"].format(
            first=f"{report.first:%Y-%m-%d}", last=f"{report.last:%Y-%m-%d}"
        )
        parts.append(f'<p class="period">{escape(period)}</p>')
    if not report.total.chats:
        parts.append(f"<p>{escape(w['no_data'])}</p>")
    parts.append(_cards(report, lang))
    parts += _day_charts(report, lang)
    parts += _groups(report, lang)
    parts += _tests(report, lang)
    parts += _gaps(report, lang)
    notes = skipped_lines(report, lang)
    parts += [f'<p class="note">{escape(line)}</p>' for line in notes]
    parts.append(f'<p class="note">{escape(w["footer"])}</p></main></body></html>')
    return "\n".join(parts) + "\n"


def _cards(report: Report, lang: str) -> str:
    w, total = WORDS[lang], report.total
    rated = total.up + total.down
    cards = [
        (w["chats"], number(total.chats, lang)),
        (w["answered"], percent(_share(total.answered, total.chats), lang)),
        (w["up_share"], percent(_share(total.up, rated), lang)),
        (w["leads"], number(total.leads, lang)),
        (w["conversion"], percent(_share(total.leads, total.chats), lang)),
        (w["handoffs"], number(total.handoffs, lang)),
    ]
    items = "".join(f"<li>{escape(label)}<b>{escape(value)}</b></li>" for label, value in cards)
    details = "".join(f"<li>{escape(line)}</li>" for line in summary_lines(total, report, lang))
    return f'<ul class="cards">{items}</ul><ul class="note">{details}</ul>'


def _day_charts(report: Report, lang: str) -> list[str]:
    if not report.days:
        return []
    w = WORDS[lang]
    labels = [day for day, _ in report.days]
    channels = report.channels()
    series = [[counts.chats[name] for _, counts in report.days] for name in channels]
    answered = [_share(c.answered, sum(c.chats.values())) for _, c in report.days]
    ups = [_share(c.up, c.up + c.down) for _, c in report.days]
    return [
        _figure(w["chats_per_day"], stacked_bars(labels, series), _legend(channels)),
        _figure(w["answered_per_day"], share_bars(labels, answered)),
        _figure(w["up_per_day"], share_bars(labels, ups)),
        _figure(w["leads_per_day"], stacked_bars(labels, [[c.leads for _, c in report.days]])),
        _figure(
            w["handoffs_per_day"], stacked_bars(labels, [[c.handoffs for _, c in report.days]])
        ),
    ]


def _groups(report: Report, lang: str) -> list[str]:
    w = WORDS[lang]
    head = (
        f"<tr><th></th><th>{escape(w['chats'])}</th><th>{escape(w['answered'])}</th>"
        f"<th>👍</th><th>👎</th><th>{escape(w['leads'])}</th>"
        f"<th>{escape(w['conversion'])}</th></tr>"
    )
    rows = [(f"{w['channel']} {n}", report.by_channel[n]) for n in report.channels()]
    rows += [
        (f"{w['variant']} {n}", c)
        for n, c in report.by_variant.items()
        if c.chats or c.up or c.down
    ]
    body = "".join(
        f"<tr><td>{escape(label)}</td><td>{number(c.chats, lang)}</td>"
        f"<td>{percent(_share(c.answered, c.chats), lang)}</td>"
        f"<td>{number(c.up, lang)}</td><td>{number(c.down, lang)}</td>"
        f"<td>{number(c.leads, lang)}</td><td>{percent(_share(c.leads, c.chats), lang)}</td></tr>"
        for label, c in rows
    )
    return [
        f"<h2>{escape(w['by_channel'])} · {escape(w['by_variant'])}</h2>",
        f'<div class="wrap"><table>{head}{body}</table></div>',
    ]


def _tests(report: Report, lang: str) -> list[str]:
    if not report.tests:
        return []
    w = WORDS[lang]
    parts = [
        f"<h2>{escape(w['by_variant'])}</h2>",
        f'<p class="note">{escape(w["test"].format(test=w["test_name"], min=MIN_CHATS))}</p>',
    ]
    for test in report.tests:
        parts.append(
            f'<figure class="test"><figcaption>{escape(sentence(test, lang))}</figcaption>'
        )
        parts.append(pair_bars(test))
        parts.append("</figure>")
    parts.append(_legend(["main", "variant"], colors=(MAIN_COLOR, VARIANT_COLOR)))
    return parts


def _gaps(report: Report, lang: str) -> list[str]:
    w = WORDS[lang]
    parts = [f"<h2>{escape(w['gaps'])}</h2>"]
    if not report.gaps:
        return [*parts, f'<p class="note">{escape(w["no_gaps"])}</p>']
    top = max(g.count for g in report.gaps)
    rows = []
    for g in report.gaps:
        words = " ".join(g.words) or "…"
        example = f" <q>{escape(g.examples[0])}</q>" if g.examples else ""
        width = max(2, round(100 * g.count / top))
        rows.append(
            f'<tr><td>{escape(words)}{example}</td><td style="width:40%">'
            f'<svg viewBox="0 0 100 10" preserveAspectRatio="none" role="img"'
            f' aria-label="{g.count}"><rect width="{width}" height="10" fill="{PALETTE[1]}"/>'
            f"</svg></td><td>{number(g.count, lang)}</td></tr>"
        )
    return [*parts, f'<div class="wrap"><table>{"".join(rows)}</table></div>']


# -- charts --------------------------------------------------------------------------------


def stacked_bars(labels: Sequence[str], series: Sequence[Sequence[int]]) -> str:
    """One bar per day, the series stacked in PALETTE order; y from 0 to a round maximum."""
    totals = [sum(values) for values in zip(*series, strict=True)] or [0]
    top = _nice(max(totals))
    step = (W - PAD_L) / max(len(labels), 1)
    body = [_axes(top, str(top), f"{top / 2:g}" if top > 1 else "")]
    for i in range(len(labels)):
        base = 0
        for k, values in enumerate(series):
            value = values[i]
            if value:
                y0, y1 = _y(base, top), _y(base + value, top)
                body.append(
                    f'<rect x="{PAD_L + i * step + step * 0.1:.1f}" y="{y1:.1f}"'
                    f' width="{step * 0.8:.1f}" height="{y0 - y1:.1f}"'
                    f' fill="{PALETTE[k % len(PALETTE)]}">'
                    f"<title>{labels[i]}: {value}</title></rect>"
                )
            base += value
    body += _x_labels(labels, step)
    return _svg(body)


def share_bars(labels: Sequence[str], shares: Sequence[float | None]) -> str:
    """One bar per day from 0 to 100 %; a day without data has none."""
    step = (W - PAD_L) / max(len(labels), 1)
    body = [_axes(1, "100 %", "50 %")]
    for i, share in enumerate(shares):
        if share is None:
            continue
        y = _y(share, 1)
        body.append(
            f'<rect x="{PAD_L + i * step + step * 0.1:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}"'
            f' height="{_y(0, 1) - y:.1f}" fill="{PALETTE[2]}">'
            f"<title>{labels[i]}: {share * 100:.0f} %</title></rect>"
        )
    body += _x_labels(labels, step)
    return _svg(body)


def pair_bars(test: Comparison) -> str:
    """main and the variant side by side, as horizontal bars of their shares."""
    rows = []
    for n, (name, rate, color) in enumerate(
        (("main", test.main_rate, MAIN_COLOR), (test.variant, test.variant_rate, VARIANT_COLOR))
    ):
        width = 0 if rate is None else round(rate * (W - 200), 1)
        shown = "–" if rate is None else f"{rate * 100:.1f} %"
        y = 6 + n * 26
        rows.append(
            f'<text x="0" y="{y + 14}">{escape(name[:18])}</text>'
            f'<rect x="130" y="{y}" width="{width}" height="18" fill="{color}"/>'
            f'<text x="{136 + width}" y="{y + 14}">{shown}</text>'
        )
    label = escape(test.metric)
    return f'<svg viewBox="0 0 {W} 60" role="img" aria-label="{label}">{"".join(rows)}</svg>'


def _axes(top: float, high: str, mid: str) -> str:
    y_top, y_mid, y_base = _y(top, top), _y(top / 2, top), _y(0, top)
    return (
        f'<line x1="{PAD_L}" x2="{W}" y1="{y_base}" y2="{y_base}" stroke="#9aa3ad"/>'
        f'<line x1="{PAD_L}" x2="{W}" y1="{y_mid}" y2="{y_mid}" stroke="#e3e6ea"/>'
        f'<line x1="{PAD_L}" x2="{W}" y1="{y_top}" y2="{y_top}" stroke="#e3e6ea"/>'
        f'<text x="{PAD_L - 4}" y="{y_top + 4}" text-anchor="end">{high}</text>'
        f'<text x="{PAD_L - 4}" y="{y_mid + 4}" text-anchor="end">{mid}</text>'
        f'<text x="{PAD_L - 4}" y="{y_base + 4}" text-anchor="end">0</text>'
    )


def _x_labels(labels: Sequence[str], step: float) -> list[str]:
    if not labels:
        return []
    picks = sorted({0, len(labels) // 2, len(labels) - 1})
    anchors = {0: "start", len(labels) - 1: "end"}
    return [
        f'<text x="{PAD_L + i * step + (step if i == len(labels) - 1 else 0):.1f}" y="{H - 6}"'
        f' text-anchor="{anchors.get(i, "middle")}">{escape(labels[i])}</text>'
        for i in picks
    ]


def _svg(body: list[str]) -> str:
    return f'<svg viewBox="0 0 {W} {H}" role="img">{"".join(body)}</svg>'


def _figure(caption: str, chart: str, legend: str = "") -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{chart}{legend}</figure>"


def _legend(names: Sequence[str], colors: Sequence[str] = PALETTE) -> str:
    items = "".join(
        f'<span><i style="background:{colors[k % len(colors)]}"></i>{escape(name)}</span>'
        for k, name in enumerate(names)
    )
    return f'<div class="legend">{items}</div>'


def _y(value: float, top: float) -> float:
    return round(PAD_T + (H - PAD_T - PAD_B) * (1 - (value / top if top else 0)), 1)


def _nice(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k at or above ``value`` (at least 1)."""
    nice = 1
    while nice < value:
        for factor in (2, 5 / 2, 2):
            nice = int(nice * factor)
            if nice >= value:
                break
    return nice


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
