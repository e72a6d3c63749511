"""The steps of one sync that the command line strings together: load kb/ (with a
progress step), read the store and diff (``make_plan``), and turn the documents that
failed into one ``KbsyncError``. The command itself (options, prompt, exit codes) is
``kbsync``'s.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from kbcore import output as _output
from kbcore.errors import KbsyncError
from kbcore.kb import KnowledgeBase, load_kb
from sync._apply import ApplyReport
from sync._progress import Progress, Step
from sync._remote import Remote
from sync._stamp import trusted
from sync._uploads import remote_state
from sync.plan import Plan, desired, diff, settled

FAILED_PREFIX = "failed: "  # each document that did not make it: "failed: PATH: WHY"
NAMED_UNMANAGED = 50  # unmanaged files shown by name (one GET each); the rest by id


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
    if store is not None and not refresh and trusted(kb, wanted, store, remote.list_uploads):
        return settled(kb, store, wanted, revision=revision)
    files = remote.list_files(store.id) if store else []
    unmanaged = [f.id for f in files if not f.managed][:NAMED_UNMANAGED]
    names = {file_id: remote.filename(file_id) for file_id in unmanaged}
    files = [replace(f, filename=names[f.id]) if f.id in names else f for f in files]
    state = remote_state(remote, store, files, kb.settings.name)
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


def raise_for_failures(plan: Plan, report: ApplyReport) -> None:
    """After an apply: list what did not work and raise ``KbsyncError`` (exit 1), if any."""
    failed = [(c.path, c.error) for c in plan.failed()]
    failed += [(f.path, f.error) for f in report.failed]
    if report.failures:
        for path, error in [*((f.path, f.error) for f in report.failures), *failed]:
            _output.info(f"{FAILED_PREFIX}{path}: {error}")
        raise KbsyncError(
            f"{_output.plural(len(report.failures) + len(failed), 'document')} failed "
            "(listed above); everything else was applied but the store was not stamped. "
            "Fix them and run kbsync again."
        )
    raise_if_failed(failed, applied=True)


def raise_if_failed(failed: list[tuple[str, str]], *, applied: bool) -> None:
    """Exit 1 naming the documents OpenAI refused for good."""
    if not failed:
        return
    for path, error in failed:
        _output.info(f"{FAILED_PREFIX}{path}: {error}")
    names = ", ".join(path for path, _ in failed)
    done = "everything else was applied" if applied else "everything else is in sync"
    raise KbsyncError(
        f"OpenAI could not process {_output.plural(len(failed), 'document')} ({names}); "
        f"{done}. Fix or remove {'it' if len(failed) == 1 else 'them'} (the same bytes are "
        "not sent again), then run kbsync again."
    )
