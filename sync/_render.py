"""Show a plan: terraform-like text, JSON, and Markdown for CI summaries.

Text symbols: ``+`` create, ``~`` update, ``→`` move, ``-`` delete, ``!`` retry,
duplicate and unmanaged (they need a look), ``*`` retag, ``↻`` rechunk, ``✗`` failed
(OpenAI refused the bytes for good: nothing is sent, the run exits 1 naming it).

JSON (``--json``), one document, keys always in this order::

    {
      "vector_store_id": "vs_…" | null,    # null: the store does not exist yet
      "vector_store_name": "kb:<name>",
      "changes": [                          # sorted by path, then action; [] when in sync
        {
          "action": "create|update|move|delete|retry|retag|duplicate|unmanaged|rechunk|failed",
          "path": "faq/a.md",               # unmanaged: the File's name, else its id
          "from": "old/a.md",               # move only
          "file_ids": ["file-…"],           # remote files touched (removed, retagged, kept)
          "error": "invalid_file: …",       # retry and failed: the store's last_error
          "attributes": {…},                # move and retag: the whole new attribute map
          "attributes_before": {…}          # retag only
        }
      ],
      "summary": {"create": 0, "update": 0, "move": 0, "delete": 0, "retry": 0,
                  "retag": 0, "duplicate": 0, "unmanaged": 0, "rechunk": 0, "failed": 0,
                  "total": 0},
      "spec_changed": false,                # instructions/settings differ from the stamp
      "pending": false,                     # applying (without pruning) would write
      "orphans": ["file-…"]                 # only when some: kbsync's uploads attached
    }                                       # nowhere, deleted by apply (kbcore/wire.py)

``kbsync --json`` adds one last key, ``"applied"``: ``null`` for a dry run or when
nothing was pending, else ``{"uploaded", "removed", "retagged", "stamped",
"failures": [{"path", "error"}]}`` (plus ``"orphans_deleted"`` when some were, and
``"failed": [{"path", "error"}]`` when OpenAI refused new bytes for good) and
``vector_store_id`` is then the real id.

Markdown (``--summary FILE``): a heading, a counts table, then every change in a
``<details>`` block, so a long plan stays readable in a pull-request comment.
"""

from __future__ import annotations

import json
from typing import Any

from kbcore import markdown as md
from kbcore.output import plural
from kbcore.terminal import escaped
from sync._apply import ApplyReport
from sync._changes import (
    Action,
    Change,
    Duplicate,
    Failed,
    Move,
    Rechunk,
    Retag,
    Retry,
    Unmanaged,
)
from sync.plan import Plan, file_ids

SYMBOLS: dict[Action, str] = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.MOVE: "→",
    Action.DELETE: "-",
    Action.RETRY: "!",
    Action.RETAG: "*",
    Action.DUPLICATE: "!",
    Action.UNMANAGED: "!",
    Action.RECHUNK: "↻",
    Action.FAILED: "✗",
}

_COUNT_WORDS: dict[Action, str] = {
    Action.CREATE: "to create",
    Action.UPDATE: "to update",
    Action.MOVE: "to move",
    Action.DELETE: "to delete",
    Action.RETRY: "to retry",
    Action.RETAG: "to retag",
    Action.DUPLICATE: "duplicate to remove",
    Action.UNMANAGED: "unmanaged",
    Action.RECHUNK: "to rechunk",
    Action.FAILED: "failed",
}


# Actions whose symbol is shared or unusual: the text names them.
_NAMED = frozenset(
    {Action.RETRY, Action.RETAG, Action.DUPLICATE, Action.UNMANAGED, Action.RECHUNK, Action.FAILED}
)


def detail(change: Change, *, prune_unmanaged: bool = False) -> str:
    """The short explanation of a change (may be empty)."""
    match change:
        case Move():
            return f"from {escaped(change.from_path)}"
        case Retry():
            return change.error
        case Retag():
            return _attribute_diff(change)
        case Duplicate():
            return f"stale copy {', '.join(change.remove)}"
        case Unmanaged():
            fate = "detached" if prune_unmanaged else "kept (--prune-unmanaged detaches it)"
            return f"{', '.join(change.remove)}, not added by kbsync: {fate}"
        case Rechunk():
            return "chunking changed"
        case Failed():
            return change.error
        case _:
            return ""


def _text_line(change: Change, prune_unmanaged: bool) -> str:
    # A path from the store (or an unmanaged File's name) may hold a newline: shown escaped,
    # it can never start a line of CI output (``::error …::``).
    line = f"  {SYMBOLS[change.action]} {escaped(change.path)}"
    note = detail(change, prune_unmanaged=prune_unmanaged)
    if change.action in _NAMED:
        return (
            f"{line}  ({change.action.value}: {note})"
            if note
            else f"{line}  ({change.action.value})"
        )
    return f"{line}  ({note})" if note else line


def _attribute_diff(change: Retag) -> str:
    before, after = change.before, change.attributes
    parts = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            parts.append(f"{key}: {_value(old)} → {_value(new)}")
    return ", ".join(parts)


def _value(value: object) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def counts_line(plan: Plan) -> str:
    summary = plan.summary()
    parts = [f"{summary[a.value]} {_COUNT_WORDS[a]}" for a in Action if summary[a.value]]
    return "Plan: " + ", ".join(parts) + "."


def _store_line(plan: Plan) -> str:
    if plan.store_id is None:
        return f"Vector store {plan.store_name} does not exist yet; it will be created."
    return (
        f"Vector store {plan.store_name} ({plan.store_id}): "
        f"{plural(plan.remote_files, 'file')}, kb/ has {plural(plan.documents, 'document')}."
    )


def text(plan: Plan, *, prune_unmanaged: bool = False) -> str:
    """The terminal rendering (no trailing newline)."""
    lines = [_store_line(plan)]
    if plan.changes:
        lines.append("")
        lines += [_text_line(c, prune_unmanaged) for c in plan.changes]
        lines.append("")
    if plan.spec_changed and plan.store_id is not None:
        lines.append("Instructions or settings changed since the last sync.")
    if plan.orphans:
        lines.append(_orphans_line(plan))
    reused = sum(1 for change in plan.uploads() if change.reuse is not None)
    if reused:
        lines.append(
            f"{plural(reused, 'document')} attached from the main store's Files (no upload)."
        )
    if plan.changes:
        lines.append(counts_line(plan))
    elif plan.pending:
        lines.append("No document changes; the store's stamp will be updated.")
    else:
        lines.append("No changes: the vector store is in sync with kb/.")
    return "\n".join(lines)


def _orphans_line(plan: Plan) -> str:
    count = plural(len(plan.orphans), "orphaned upload")
    return f"{count} of an interrupted run (attached to no store) will be deleted."


def as_dict(plan: Plan) -> dict[str, Any]:
    """The JSON document as a dict with the documented key order."""
    summary: dict[str, int] = plan.summary()
    summary["total"] = len(plan.changes)
    document: dict[str, Any] = {
        "vector_store_id": plan.store_id,
        "vector_store_name": plan.store_name,
        "changes": [_change_dict(c) for c in plan.changes],
        "summary": summary,
        "spec_changed": plan.spec_changed,
        "pending": plan.pending,
    }
    if plan.orphans:  # only when there are some, so in-sync output stays as documented
        document["orphans"] = list(plan.orphans)
    return document


def _change_dict(change: Change) -> dict[str, Any]:
    item: dict[str, Any] = {"action": change.action.value, "path": change.path}
    if isinstance(change, Move):
        item["from"] = change.from_path
    item["file_ids"] = list(file_ids(change))
    if isinstance(change, Retry | Failed):
        item["error"] = change.error
    if isinstance(change, Move | Retag):
        item["attributes"] = dict(change.attributes)
    if isinstance(change, Retag):
        item["attributes_before"] = dict(change.before)
    return item


def markdown(plan: Plan, *, prune_unmanaged: bool = False) -> str:
    """The ``--summary`` rendering, ending with a newline (files are appended to)."""
    lines = [f"### kbsync plan for {md.code(plan.kb_name)}", "", md.text(_store_line(plan)), ""]
    if plan.spec_changed and plan.store_id is not None:
        lines += ["Instructions or settings changed since the last sync.", ""]
    if not plan.changes:
        lines.append("No document changes." if plan.pending else "No changes: in sync with kb/.")
        return "\n".join(lines) + "\n"
    summary = plan.summary()
    lines += ["| action | count |", "|---|---:|"]
    lines += [
        f"| {SYMBOLS[a]} {a.value} | {summary[a.value]} |" for a in Action if summary[a.value]
    ]
    lines += ["", f"<details><summary>{plural(len(plan.changes), 'change')}</summary>", ""]
    lines += ["| | path | detail |", "|---|---|---|"]
    for change in plan.changes:
        note = detail(change, prune_unmanaged=prune_unmanaged)
        lines.append(
            f"| {SYMBOLS[change.action]} {change.action.value} "
            f"| {md.code(change.path)} | {md.text(note)} |"
        )
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def json_document(plan: Plan, report: ApplyReport | None) -> str:
    """``kbsync --json``: the plan's document plus ``"applied"`` (``null`` when nothing
    was applied)."""
    document: dict[str, Any] = as_dict(plan)
    if report is None:
        document["applied"] = None
    else:
        document["vector_store_id"] = report.store_id
        document["applied"] = {
            "uploaded": report.uploaded,
            "removed": report.removed,
            "retagged": report.retagged,
            "stamped": report.stamped,
            "failures": [{"path": f.path, "error": f.error} for f in report.failures],
        }
        if report.failed:
            document["applied"]["failed"] = [
                {"path": f.path, "error": f.error} for f in report.failed
            ]
        if report.orphans_deleted:
            document["applied"]["orphans_deleted"] = report.orphans_deleted
    return json.dumps(document, indent=2, ensure_ascii=False)


def markdown_report(report: ApplyReport) -> str:
    """What an apply did, for ``--summary`` (appended after the plan)."""
    lines = ["", f"**{md.text(report.line())}**", ""]
    lines += [
        f"- failed: {md.code(f.path)}: {md.text(f.error)}"
        for f in [*report.failures, *report.failed]
    ]
    return "\n".join(lines) + "\n"
