"""``kbsync watch``: plan again (or apply, with ``--apply``) whenever kb/ changes.

The watcher starts before the first cycle, so a save made while that cycle runs is seen
("Watching …" is printed once it watches). A cycle starts only once kb/ has been quiet
for ``QUIET_MS``: a file still being written (a large copy, a slow save) is planned
once, when it stops changing, and the upload sends the bytes that were hashed
(``sync``'s snapshot) or none. A cycle that fails (an invalid KB, an API error, a
refused mass deletion, anything else) prints one line and the watch goes on. Ctrl-C
stops watching and exits 0: it is the normal way to end a watch, and an apply cut
short by it converges on the next cycle or run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

import watchfiles

from kbcore import output as _output
from kbcore.errors import KbError, KbsyncError
from kbcore.evals import load_evals
from kbcore.kb import EVALS, KnowledgeBase
from kbsync._renames import renames
from sync import Remote, apply, load, make_plan, make_progress, raise_if_unsafe, render_text

QUIET_MS = 1000  # kb/ must be this quiet before a cycle: a save in progress is not planned
LONGEST_WAIT_MS = 60_000  # ... unless it keeps changing this long: then plan what is there
TICK_MS = 500  # how often the watcher looks up (for stop_event) while nothing changes


def watch(
    kb_dir: Path,
    *,
    apply_changes: bool = False,
    stop_event: threading.Event | None = None,
    debounce_ms: int = QUIET_MS,
) -> int:
    """Run until Ctrl-C (or ``stop_event``); returns the exit code (0).

    ``debounce_ms`` is the quiet period before a cycle."""
    remote = Remote.from_env()
    mode = "apply" if apply_changes else "plan"
    changes = watchfiles.watch(
        kb_dir,
        debounce=max(LONGEST_WAIT_MS, debounce_ms),
        step=debounce_ms,
        stop_event=stop_event,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        raise_interrupt=True,
    )
    try:
        next(changes, None)  # the watcher exists from here on: no save is missed
        _output.info(f"Watching {_output.display_path(kb_dir)} ({mode} on change; Ctrl-C stops).")
        cycle(kb_dir, remote, apply_changes=apply_changes)
        for batch in changes:
            count = len(changed_paths(batch))
            if not count:  # a tick, or only a temporary file that came and went
                continue
            _output.info(f"{_output.plural(count, 'change')} under kb/; planning again.")
            cycle(kb_dir, remote, apply_changes=apply_changes)
    except KeyboardInterrupt:
        _output.info("Stopped watching.")
    finally:
        changes.close()
        remote.close()
    return 0


def changed_paths(batch: Iterable[tuple[watchfiles.Change, str]]) -> set[str]:
    """The paths a batch of events changed, counted once each; a file that was created
    and is gone again (an editor's or ``sed -i``'s temporary file) is no change."""
    batch = list(batch)
    added = {path for change, path in batch if change == watchfiles.Change.added}
    paths = {path for _, path in batch}
    return {path for path in paths if path not in added or os.path.lexists(path)}


def cycle(kb_dir: Path, remote: Remote, *, apply_changes: bool) -> bool:
    """One plan (and apply); prints what happened. Returns whether it succeeded."""
    try:
        with make_progress() as progress:
            kb = load(kb_dir, progress)
            _warn_if_evals_broke(kb)
            plan = make_plan(kb, remote)
            _output.result(render_text(plan))
            if not apply_changes or not plan.pending:
                return True
            raise_if_unsafe(plan, prune_unmanaged=False, allow_mass_delete=False)
            report = apply(plan, remote, progress)
        _output.result(report.line())
        for failure in [*report.failures, *report.failed]:
            _output.warn(f"{failure.path}: {failure.error}")
        return not report.failures
    except KbsyncError as error:
        _output.info(f"error: {error}")
        return False
    except Exception as error:  # a watch never dies of one cycle; say it in one line
        _output.info(
            f"error: this cycle failed unexpectedly ({type(error).__name__}: {error}); "
            "the watch goes on (run kbsync for the full story)."
        )
        return False


def _warn_if_evals_broke(kb: KnowledgeBase) -> None:
    """A document renamed or removed can leave ``kb/evals.yaml`` naming a path that is
    gone: say so at once, not at the next ``kbsync eval``."""
    if not (kb.root / EVALS).is_file():
        return
    try:
        load_evals(kb, renames=renames(kb.root))
    except KbError as error:
        _output.warn(f"{EVALS} broke: {error}")
