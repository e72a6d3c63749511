"""Plan rendering: golden text, JSON and Markdown for a plan with every action kind.

Regenerate the goldens with ``KBSYNC_UPDATE_GOLDEN=1 pytest tests/sync/test_render.py``
and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from sync import _render
from sync._remote_state import RemoteState
from sync.plan import Plan, diff
from tests._golden import check_golden
from tests.sync._plan_fixtures import every_action, make_kb, remote_file, stamped

GOLDEN = Path(__file__).parent / "golden"


def as_json(plan: Plan) -> str:
    """What ``kbsync --dry-run --json`` prints for ``plan`` (without the ``applied`` key)."""
    return json.dumps(_render.as_dict(plan), indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("every_action.txt", lambda p: _render.text(p) + "\n"),
        ("every_action.json", lambda p: as_json(p) + "\n"),
        ("every_action.md", _render.markdown),
        ("every_action_prune.md", lambda p: _render.markdown(p, prune_unmanaged=True)),
    ],
)
def test_every_action_golden(name: str, render: object) -> None:
    plan = diff(*every_action())
    assert callable(render)
    check_golden(GOLDEN / name, render(plan))


def test_json_schema_shape() -> None:
    document = json.loads(as_json(diff(*every_action())))
    assert list(document) == [
        "vector_store_id",
        "vector_store_name",
        "changes",
        "summary",
        "spec_changed",
        "pending",
    ]
    assert all(list(c)[:2] == ["action", "path"] for c in document["changes"])
    move = next(c for c in document["changes"] if c["action"] == "move")
    assert move["from"] == "guides/old-place.md"
    assert document["summary"]["total"] == len(document["changes"]) == 10


def test_in_sync_json_has_no_changes() -> None:
    kb = make_kb({"a.md": "a"})
    document = _render.as_dict(diff(kb, stamped(kb, remote_file("file-a", "a.md", "a"))))
    assert document["changes"] == []
    assert document["summary"]["total"] == 0
    assert document["spec_changed"] is False


def test_missing_store_text_and_null_id() -> None:
    plan = diff(make_kb({"a.md": "a"}), RemoteState(None))
    assert _render.text(plan).splitlines() == [
        "Vector store kb:demo does not exist yet; it will be created.",
        "",
        "  + a.md",
        "",
        "Plan: 1 to create.",
    ]
    assert _render.as_dict(plan)["vector_store_id"] is None


def test_in_sync_text() -> None:
    kb = make_kb({"a.md": "a"})
    text = _render.text(diff(kb, stamped(kb, remote_file("file-a", "a.md", "a"))))
    assert text.splitlines() == [
        "Vector store kb:demo (vs_demo): 1 file, kb/ has 1 document.",
        "No changes: the vector store is in sync with kb/.",
    ]


def test_markdown_escapes_table_cells() -> None:
    plan = diff(make_kb({"a|b.md": "x"}), RemoteState(None))
    assert "| + create | `a\\|b.md` |  |" in _render.markdown(plan)


def _markdown_cells(markdown: str) -> list[list[Any]]:
    """The inline tokens of each table cell of the change list, row by row (GFM tables)."""
    parser = MarkdownIt("commonmark").enable("table")
    rows: list[list[Any]] = []
    for token in parser.parse(markdown):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.children or [])
    return rows


def test_item_9_backtick_in_a_file_name_keeps_the_plan_comment_markdown() -> None:
    """Issue 12, item 9: a backtick (or ``|``, ``*``, ``<``) in a file name broke the
    plan comment's Markdown: the name must come out of a Markdown renderer unchanged."""
    names = [
        "a`b.md",
        "two``ticks.md",
        "`edge`.md",
        "x|y.md",
        "star*s_and_[x].md",
        "<b>bold</b>.md",
    ]
    kb = make_kb({name: name for name in names} | {"new/moved`here.md": "moving"})
    state = stamped(kb, remote_file("file-m", "old/<i>from`|*.md", "moving"))
    plan = diff(kb, state)
    markdown = _render.markdown(plan)
    rows = [row for row in _markdown_cells(markdown) if len(row) == 3]
    paths: list[str] = []
    details: dict[str, str] = {}
    for _, path_cell, detail_cell in rows[1:]:  # after the header row
        kinds = [child.type for child in path_cell]
        assert kinds == ["code_inline"], (path_cell, markdown)
        paths.append(path_cell[0].content)
        details[path_cell[0].content] = "".join(child.content for child in detail_cell)
    assert sorted(paths) == sorted([*names, "new/moved`here.md"])
    assert details["new/moved`here.md"] == "from old/<i>from`|*.md"
    parsed = MarkdownIt("commonmark").enable("table").parse(markdown)
    inline = [child for token in parsed if token.children for child in token.children]
    assert not [c for c in inline if c.type == "html_inline" and "<i>" in c.content]
    assert not [c for c in inline if c.type in ("em_open", "strong_open")]
