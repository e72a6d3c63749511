"""Golden questions come from a pull request's ``kb/evals.yaml`` (issue 23, finding 5):
in the sticky pull-request comment each renders as its own text, never as HTML, a link,
an @mention or the end of the ``<details>`` block; in CI output it never starts a line."""

from __future__ import annotations

from typing import Any

import pytest
from markdown_it import MarkdownIt

from kbcore.evals import EvalCase
from kbsync._eval_render import headline, markdown, text
from kbsync._eval_run import Outcome, StoreRun

HOSTILE = [
    "</details><img src=x onerror=alert(1)> gone",
    "[free gift](https://evil.example/phish)",
    "@octocat please approve this",
    "see https://evil.example/phish now",
    "www.evil.example is here",
    "a | b | c",
    "`tick` and ``two`` and ```three",
    "*bold* _under_ ~~strike~~ <b>html</b>",
    "#1 and owner/repo#2",
    "line one\n::error title=x::injected",
]
EXPECT = "@evil/page.md"  # a path is the editor's to choose too


def runs() -> tuple[StoreRun, StoreRun]:
    cases = [EvalCase(q, (EXPECT,)) for q in HOSTILE]
    lost = StoreRun("pr-5", "vs_pr", tuple(Outcome(c, ("<img src=y>.md",)) for c in cases))
    main = StoreRun("main", "vs_main", tuple(Outcome(c, (EXPECT,)) for c in cases))
    return lost, main


def _tokens(rendered: str) -> list[Any]:
    parsed = MarkdownIt("commonmark").enable("table").parse(rendered)
    flat: list[Any] = []
    for token in parsed:
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def test_eval_questions_render_as_text_in_the_comment() -> None:
    rendered = markdown(*runs())
    tokens = _tokens(rendered)
    html = [t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")]
    # Only the comment's own collapsible block: no question opens or closes HTML.
    assert html == ["<details><summary>Every golden question</summary>", "</details>"]
    assert not [t for t in tokens if t.type in ("link_open", "image")]
    outside_code = " ".join(t.content for t in tokens if t.type == "text").replace("hit@k", "")
    for marker in ("@", "https://", "www.", "<img", "</details>", "#1", "::error"):
        assert marker not in outside_code, (marker, outside_code)
    rows = [line for line in rendered.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + len(HOSTILE)  # the header and one row per question: none split
    for row in rows[1:]:
        assert row.count(" | ") == 4, row


def test_eval_questions_never_start_a_line_of_ci_output() -> None:
    lost, main = runs()
    for rendered in (text(lost, main), headline(lost, main)):
        for line in rendered.splitlines():
            assert not line.lstrip().startswith("::"), line
        assert "\r" not in rendered


@pytest.mark.parametrize("question", HOSTILE)
def test_each_hostile_question_is_still_recognisable(question: str) -> None:
    cases = (EvalCase(question, (EXPECT,)),)
    run = StoreRun("pr-5", "vs_pr", tuple(Outcome(c, ()) for c in cases))
    rendered = markdown(run, None)
    code = [t.content for t in _tokens(rendered) if t.type == "code_inline"]
    assert " ".join(question.split()) in [" ".join(c.split()) for c in code]
