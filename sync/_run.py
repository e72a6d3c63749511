"""``kbsync``: load kb/, fetch the store, plan, show, and (unless ``--dry-run``) apply.

Exit codes: 0 done or nothing to do; 1 an expected failure (raised as ``KbsyncError``,
printed as one line by the CLI); 2 changes pending, only with ``--detailed-exitcode``
(a dry run, typically). The plan goes to stdout (text, or one JSON document with
``--json``); progress and advice go to stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from kbcore import output as _output
from kbcore.errors import KbsyncError
from kbcore.kb import KnowledgeBase, load_kb
from kbcore.wire import orphans
from sync import _markdown as md
from sync import _render
from sync._apply import ApplyReport, apply
from sync._progress import Progress, Step
from sync._progress import make as make_progress
from sync._remote import Remote
from sync._remote_state import RemoteState
from sync._safety import mass_delete_problem, raise_if_unsafe
from sync._stamp import trusted
from sync.plan import Plan, desired, diff, settled

PENDING = 2
NAMED_UNMANAGED = 50  # unmanaged files shown by name (one GET each); the rest by id


@dataclass(frozen=True)
class RunOptions:
    kb_dir: Path
    dry_run: bool = False
    as_json: bool = False
    summary_file: Path | None = None
    detailed_exitcode: bool = False
    yes: bool = False
    concurrency: int = 8
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


def load(kb_dir: Path, progress: Progress) -> KnowledgeBase:
    """``load_kb`` with a "hashed" progress step (sized once the total is known)."""
    step: Step | None = None

    def hashed(done: int, total: int) -> None:
        nonlocal step
        if step is None:
            step = progress.step("hashed", total, show=_output.human_size)
        step.update(done)

    return load_kb(kb_dir, on_hashed=hashed)


def make_plan(kb: KnowledgeBase, remote: Remote, *, refresh: bool = False) -> Plan:
    """Check the model, read the store and kbsync's uploads (GET requests only) and diff
    them against ``kb``.

    When the store's stamp proves it in sync (``sync/_stamp.py``), nothing more is read
    (the fast path); ``refresh`` always lists everything."""
    remote.check_model(kb.settings.model)
    store = remote.find_store(kb.settings.name)
    revision = git_revision(kb.root)
    wanted = desired(kb)
    if store is not None and not refresh and trusted(kb, wanted, store):
        return settled(kb, store, wanted, revision=revision)
    files = remote.list_files(store.id) if store else []
    unmanaged = [f.id for f in files if not f.managed][:NAMED_UNMANAGED]
    names = {file_id: remote.filename(file_id) for file_id in unmanaged}
    files = [replace(f, filename=names[f.id]) if f.id in names else f for f in files]
    lost = orphans(remote.list_uploads(), store.id, (f.id for f in files)) if store else ()
    state = RemoteState(store, tuple(files), lost)
    return diff(kb, state, revision=revision, wanted=wanted)


def git_revision(kb_dir: Path) -> str | None:
    """``git rev-parse HEAD`` in the KB folder, or ``None`` outside a git work tree."""
    try:
        done = subprocess.run(
            ["git", "-C", str(kb_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    revision = done.stdout.strip()
    return revision if done.returncode == 0 and revision else None


def _decide_and_apply(plan: Plan, remote: Remote, progress: Progress, options: RunOptions) -> int:
    prune = options.prune_unmanaged
    if not options.as_json:
        _output.result(_render.text(plan, prune_unmanaged=prune))
    if options.summary_file is not None:
        _append(options.summary_file, _render.markdown(plan, prune_unmanaged=prune))

    writes = plan.writes(prune_unmanaged=prune)
    if options.dry_run or not writes:
        problem = mass_delete_problem(plan, prune_unmanaged=prune)
        if problem and not options.allow_mass_delete and writes:
            _output.warn(problem)
        if options.as_json:
            _output.result(_json(plan, None))
        if not options.dry_run:
            _raise_if_failed([(c.path, c.error) for c in plan.failed()], applied=False)
        return PENDING if options.dry_run and writes and options.detailed_exitcode else 0

    raise_if_unsafe(plan, prune_unmanaged=prune, allow_mass_delete=options.allow_mass_delete)
    if not options.yes and interactive():
        question = f"Apply {_output.plural(len(plan.changes), 'change')} to {plan.store_name}?"
        if not click.confirm(question, default=False, err=True):
            raise KbsyncError("Apply cancelled; nothing was changed.")

    report = apply(plan, remote, progress, concurrency=options.concurrency, prune_unmanaged=prune)
    if options.as_json:
        _output.result(_json(plan, report))
    else:
        _output.result(report.line())
    if options.summary_file is not None:
        _append(options.summary_file, _markdown_report(report))
    raise_for_failures(plan, report)
    return 0


def raise_for_failures(plan: Plan, report: ApplyReport) -> None:
    """After an apply: list what did not work and raise ``KbsyncError`` (exit 1), if any."""
    failed = [(c.path, c.error) for c in plan.failed()]
    failed += [(f.path, f.error) for f in report.failed]
    if report.failures:
        for path, error in [*((f.path, f.error) for f in report.failures), *failed]:
            _output.info(f"failed: {path}: {error}")
        raise KbsyncError(
            f"{_output.plural(len(report.failures) + len(failed), 'document')} failed "
            "(listed above); everything else was applied but the store was not stamped. "
            "Fix them and run kbsync again."
        )
    _raise_if_failed(failed, applied=True)


def _raise_if_failed(failed: list[tuple[str, str]], *, applied: bool) -> None:
    """Exit 1 naming the documents OpenAI refused for good (DESIGN "Remote mapping")."""
    if not failed:
        return
    for path, error in failed:
        _output.info(f"failed: {path}: {error}")
    names = ", ".join(path for path, _ in failed)
    done = "everything else was applied" if applied else "everything else is in sync"
    raise KbsyncError(
        f"OpenAI could not process {_output.plural(len(failed), 'document')} ({names}); "
        f"{done}. Fix or remove {'it' if len(failed) == 1 else 'them'} (the same bytes are "
        "not sent again), then run kbsync again."
    )


def interactive() -> bool:
    """Whether to ask before applying: only when a person can answer (stdin is a terminal)."""
    return sys.stdin.isatty()


def _json(plan: Plan, report: ApplyReport | None) -> str:
    document: dict[str, Any] = _render.as_dict(plan)
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


def _markdown_report(report: ApplyReport) -> str:
    lines = ["", f"**{md.text(report.line())}**", ""]
    lines += [
        f"- failed: {md.code(f.path)}: {md.text(f.error)}"
        for f in [*report.failures, *report.failed]
    ]
    return "\n".join(lines) + "\n"


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as sink:
            sink.write(text)
    except OSError as exc:
        raise KbsyncError(
            f"Cannot append the summary to {_output.display_path(path)} ({exc.strerror}); "
            "check the --summary path."
        ) from exc
