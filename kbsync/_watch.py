"""``kbsync watch``: plan again (or apply, with ``--apply``) whenever kb/ changes.

Changes are debounced (a burst of saves or a ``git pull`` gives one cycle). A cycle
that fails (an invalid KB, an API error, a refused mass deletion) prints its error and
the watch goes on. Ctrl-C stops watching and exits 0: it is the normal way to end a
watch, and an apply cut short by it converges on the next cycle or run.
"""

from __future__ import annotations

import threading
from pathlib import Path

import watchfiles

from kbcore import output as _output
from kbcore.errors import KbsyncError
from sync import Remote, apply, load, make_plan, make_progress, raise_if_unsafe, render_text

DEBOUNCE_MS = 400


def watch(
    kb_dir: Path,
    *,
    apply_changes: bool = False,
    stop_event: threading.Event | None = None,
    debounce_ms: int = DEBOUNCE_MS,
) -> int:
    """Run until Ctrl-C (or ``stop_event``); returns the exit code (0)."""
    if not kb_dir.is_dir():
        raise KbsyncError(
            f"{_output.display_path(kb_dir)}: the knowledge base folder does not exist; "
            "pass --kb DIR or set KB_DIR."
        )
    remote = Remote.from_env()
    mode = "apply" if apply_changes else "plan"
    try:
        _output.info(f"Watching {_output.display_path(kb_dir)} ({mode} on change; Ctrl-C stops).")
        cycle(kb_dir, remote, apply_changes=apply_changes)
        for changes in watchfiles.watch(
            kb_dir, debounce=debounce_ms, stop_event=stop_event, raise_interrupt=True
        ):
            _output.info(f"{_output.plural(len(changes), 'change')} under kb/; planning again.")
            cycle(kb_dir, remote, apply_changes=apply_changes)
    except KeyboardInterrupt:
        _output.info("Stopped watching.")
    finally:
        remote.close()
    return 0


def cycle(kb_dir: Path, remote: Remote, *, apply_changes: bool) -> bool:
    """One plan (and apply); prints what happened. Returns whether it succeeded."""
    try:
        with make_progress() as progress:
            kb = load(kb_dir, progress)
            plan = make_plan(kb, remote)
            _output.result(render_text(plan))
            if not apply_changes or not plan.pending:
                return True
            raise_if_unsafe(plan, prune_unmanaged=False, allow_mass_delete=False)
            report = apply(plan, remote, progress)
        _output.result(report.line())
        for failure in report.failures:
            _output.warn(f"{failure.path}: {failure.error}")
        return not report.failures
    except KbsyncError as error:
        _output.info(f"error: {error}")
        return False
