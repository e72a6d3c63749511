"""``kbsync``: load kb/, fetch the store, plan, show, and (unless ``--dry-run``) apply.

Exit codes: 0 done or nothing to do; 1 an expected failure (raised as ``KbsyncError``,
printed as one line); 2 changes pending, only with ``--detailed-exitcode`` (a dry run,
typically). The plan goes to stdout (text, or one JSON document with ``--json``);
progress and advice go to stderr. A person at a terminal is asked before anything is
written; off a terminal only ``--yes`` applies.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from kbcore import output as _output
from kbcore.defaults import CONCURRENCY
from kbcore.errors import KbsyncError
from sync import (
    Plan,
    Progress,
    Remote,
    apply,
    load,
    make_plan,
    make_progress,
    mass_delete_problem,
    raise_for_failures,
    raise_if_failed,
    raise_if_unsafe,
    render_json,
    render_markdown,
    render_markdown_report,
    render_text,
)

PENDING = 2


class NoTerminal(KbsyncError):
    """Off a terminal, without ``--yes``: nobody can answer the prompt."""


@dataclass(frozen=True)
class RunOptions:
    kb_dir: Path
    dry_run: bool = False
    as_json: bool = False
    summary_file: Path | None = None
    detailed_exitcode: bool = False
    yes: bool = False
    concurrency: int = CONCURRENCY
    allow_mass_delete: bool = False
    prune_unmanaged: bool = False
    refresh: bool = False  # skip the fast path: list everything


def run(options: RunOptions) -> int:
    """One sync; returns the exit code (raises ``KbsyncError`` for expected failures)."""
    with make_progress() as progress:
        kb = load(options.kb_dir, progress)
        remote = Remote.from_env()
        try:
            plan = make_plan(kb, remote, refresh=options.refresh)
            return _decide_and_apply(plan, remote, progress, options)
        finally:
            remote.close()


def _decide_and_apply(plan: Plan, remote: Remote, progress: Progress, options: RunOptions) -> int:
    prune = options.prune_unmanaged
    if not options.as_json:
        _output.result(render_text(plan, prune_unmanaged=prune))
    if options.summary_file is not None:
        _append(options.summary_file, render_markdown(plan, prune_unmanaged=prune))

    writes = plan.writes(prune_unmanaged=prune)
    if options.dry_run or not writes:
        problem = mass_delete_problem(plan, prune_unmanaged=prune)
        if problem and not options.allow_mass_delete and writes:
            _output.warn(problem)
        if options.as_json:
            _output.result(render_json(plan, None))
        if not options.dry_run:
            raise_if_failed([(c.path, c.error) for c in plan.failed()], applied=False)
        return PENDING if options.dry_run and writes and options.detailed_exitcode else 0

    raise_if_unsafe(plan, prune_unmanaged=prune, allow_mass_delete=options.allow_mass_delete)
    if not options.yes:
        _confirm(plan)

    report = apply(plan, remote, progress, concurrency=options.concurrency, prune_unmanaged=prune)
    if options.as_json:
        _output.result(render_json(plan, report))
    else:
        _output.result(report.line())
    if options.summary_file is not None:
        _append(options.summary_file, render_markdown_report(report))
    raise_for_failures(plan, report)
    return 0


def _confirm(plan: Plan) -> None:
    """Ask at a terminal; off one (CI, a pipe, ``echo n | kbsync``) refuse: only ``--yes``
    applies there, so nothing is written by accident."""
    if not interactive():
        raise NoTerminal(
            "Not applied: no terminal to confirm on, so kbsync applies only with --yes "
            "(or run kbsync --dry-run to see the plan alone); nothing was changed."
        )
    question = f"Apply {_output.plural(len(plan.changes), 'change')} to {plan.store_name}?"
    if not click.confirm(question, default=False, err=True):
        raise KbsyncError("Apply cancelled; nothing was changed.")


def interactive() -> bool:
    """Whether a person can answer the prompt: stdin is a terminal."""
    return sys.stdin.isatty()


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as sink:
            sink.write(text)
    except OSError as exc:
        raise KbsyncError(
            f"Cannot append the summary to {_output.display_path(path)} ({exc.strerror}); "
            "check the --summary path."
        ) from exc
