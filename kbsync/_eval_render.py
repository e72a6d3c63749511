"""An eval as text (terminal), JSON and Markdown (job summary, pull-request comment).

``run`` is the store evaluated; ``main``, when given, is the main store's run of the
same questions, for the comparison a preview needs: a question that passes on main and
fails on ``run`` is a *regression*.

Questions and paths come from a pull request's ``kb/``: in Markdown each is a code span
(``kbcore.markdown.code``: never HTML, a link or an @mention in the comment), in text
its control characters are escaped (a newline never starts a line of CI output).
"""

from __future__ import annotations

import json
from typing import Any

from kbcore import markdown as md
from kbcore.terminal import escaped
from kbsync._eval_run import Outcome, StoreRun


def regressions(run: StoreRun, main: StoreRun | None) -> list[Outcome]:
    if main is None:
        return []
    return [o for o, m in zip(run.outcomes, main.outcomes, strict=True) if m.ok and not o.ok]


def headline(run: StoreRun, main: StoreRun | None, *, as_markdown: bool = False) -> str:
    """``11/12 golden questions find their document (main: 12/12) — “…” now finds x first``."""
    n = len(run.outcomes)
    line = f"{run.passed}/{n} golden questions find their document"
    line += f" (main: {main.passed}/{n})" if main is not None else f" on {run.label}"
    lost = regressions(run, main)
    if lost:
        shown = "; ".join(_lost(o, as_markdown) for o in lost[:2])
        more = f"; and {len(lost) - 2} more" if len(lost) > 2 else ""
        line += f" — {shown}{more}"
    return line


def _lost(outcome: Outcome, as_markdown: bool) -> str:
    show = md.code if as_markdown else _plain
    first = f"finds {show(outcome.found[0])} first" if outcome.found else "finds no document"
    question = md.code(outcome.case.q) if as_markdown else f"“{_plain(outcome.case.q)}”"
    return f"{question} now {first}"


def _plain(value: str) -> str:
    return escaped(value)


def text(run: StoreRun, main: StoreRun | None) -> str:
    lines = [
        f"Golden questions on vector store {run.store_id} ({run.label})"
        + (f", compared with main ({main.store_id}):" if main else ":"),
        "",
    ]
    for number, outcome in enumerate(run.outcomes):
        before = main.outcomes[number] if main else None
        mark = "ok  " if outcome.ok else ("LOST" if before and before.ok else "miss")
        rank = str(outcome.rank) if outcome.rank else "-"
        lines.append(f"  {mark}  {rank:>2}  {_plain(outcome.case.q)}")
        if not outcome.ok:
            found = ", ".join(_plain(p) for p in outcome.found[:3]) or "no document"
            expected = " or ".join(_plain(p) for p in outcome.case.expect)
            lines.append(
                f"            expected {expected} in the top {outcome.case.k}; found {found}"
            )
        if outcome.answer is not None and not outcome.answer.ok:
            lines.append(f"            answer: {_answer_problem(outcome)}")
    lines += ["", _figures(run, main)]
    answers = [o.answer for o in run.outcomes if o.answer is not None]
    if answers:
        good = sum(a.ok for a in answers)
        lines.append(
            f"Answers: {good}/{len(answers)} say what they should and cite an expected document."
        )
    return "\n".join(lines)


def _figures(run: StoreRun, main: StoreRun | None) -> str:
    figures = f"hit@k {run.passed}/{len(run.outcomes)} ({run.hit_at_k:.2f}), MRR {run.mrr:.2f}"
    if main is not None:
        figures += f" (main: hit@k {main.hit_at_k:.2f}, MRR {main.mrr:.2f})"
    return figures


def _answer_problem(outcome: Outcome) -> str:
    answer = outcome.answer
    assert answer is not None
    problems = []
    if answer.missing:
        problems.append("does not say " + ", ".join(f"“{_plain(p)}”" for p in answer.missing))
    if not answer.cites_expected:
        cited = ", ".join(_plain(p) for p in answer.cited) or "nothing"
        problems.append(f"cites {cited}, not " + " or ".join(map(_plain, outcome.case.expect)))
    if answer.incomplete:
        problems.append(f"cut short ({answer.incomplete})")
    return "; ".join(problems)


def as_json(run: StoreRun, main: StoreRun | None) -> str:
    document: dict[str, Any] = _store_json(run)
    if run.variant is not None:
        document["variant"] = run.variant
    if main is not None:
        document["main"] = _store_json(main)
        document["regressions"] = [o.case.q for o in regressions(run, main)]
    return json.dumps(document, ensure_ascii=False, indent=2)


def _store_json(run: StoreRun) -> dict[str, Any]:
    questions = []
    for outcome in run.outcomes:
        question: dict[str, Any] = {
            "q": outcome.case.q,
            "expect": list(outcome.case.expect),
            "k": outcome.case.k,
            "rank": outcome.rank,
            "ok": outcome.ok,
            "found": list(outcome.found),
        }
        if outcome.answer is not None:
            question["answer"] = {
                "ok": outcome.answer.ok,
                "cited": list(outcome.answer.cited),
                "missing": list(outcome.answer.missing),
                "incomplete": outcome.answer.incomplete,
            }
        questions.append(question)
    return {
        "store": run.store_id,
        "label": run.label,
        "questions": questions,
        "hit_at_k": round(run.hit_at_k, 4),
        "mrr": round(run.mrr, 4),
    }


def markdown(run: StoreRun, main: StoreRun | None) -> str:
    answers = any(o.answer is not None for o in run.outcomes)
    lines = [f"**{headline(run, main, as_markdown=True)}**", ""]
    lines.append(_figures(run, main).replace("hit@k", "hit@k:", 1) + ".")
    lines += ["", "<details><summary>Every golden question</summary>", ""]
    header = ["", "question", "expected", "rank"] + (["main"] if main else [])
    header += ["answer"] if answers else []
    lines += ["| " + " | ".join(header) + " |", "|---|---|---|" + "---:|" * (len(header) - 3)]
    for number, outcome in enumerate(run.outcomes):
        before = main.outcomes[number] if main else None
        mark = "✅" if outcome.ok else ("❌" if before and before.ok else "⚠️")
        cells = [
            mark,
            md.code(outcome.case.q),
            ", ".join(md.code(p) for p in outcome.case.expect),
            _rank(outcome),
        ]
        if before is not None:
            cells.append(_rank(before))
        if answers:
            cells.append("✅" if outcome.answer and outcome.answer.ok else "❌")
        lines.append("| " + " | ".join(cells) + " |")
    legend = "✅ finds an expected document in its top k"
    legend += ", ❌ did so on main but not here" if main else ""
    legend += ", ⚠️ does not" + (" (on main either)" if main else "")
    lines += ["", legend + "; rank: of the first expected document.", "", "</details>", ""]
    return "\n".join(lines)


def _rank(outcome: Outcome) -> str:
    return f"{outcome.rank}" if outcome.rank else "—"
