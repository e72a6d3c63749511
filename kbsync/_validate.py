"""``kbsync validate``: load and check everything offline, then say what was found."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kbcore.business import describe
from kbcore.errors import KbError
from kbcore.evals import load_evals
from kbcore.kb import load_kb
from kbcore.models import shutdown_warning, unknown_model
from kbcore.output import display_path, human_size, plural, result, warn


def validate(kb_dir: Path) -> int:
    """Exit code 0 with a one-line summary; an invalid KB raises ``KbError`` (every problem)."""
    problems = tracked_env_files(kb_dir)
    try:
        kb = load_kb(kb_dir)
        cases = load_evals(kb)  # needs the documents: checked only once they load
    except KbError as error:
        raise KbError(problems + error.problems) from None
    if problems:
        raise KbError(problems)
    for warning in (unknown_model(kb.settings.model), shutdown_warning(kb.settings.model)):
        if warning is not None:
            warn(f"{display_path(kb_dir)}/assistant.yaml: {warning}")
    golden = f", {plural(len(cases), 'golden question')}" if cases else ""
    result(
        f"{display_path(kb_dir)}/ is valid: {plural(len(kb.documents), 'document')},"
        f" {human_size(kb.total_bytes)}, model {kb.settings.model}{golden}"
    )
    spec = kb.spec
    for line in describe(spec.starters, spec.leads, spec.handoff, spec.telegram, spec.variants):
        result(f"  {line}")
    return 0


def tracked_env_files(kb_dir: Path) -> list[str]:
    """A problem for each ``.env`` file tracked by the git repository that holds ``kb_dir``.

    A deployed relay runs in a checkout of that repository, and a tracked ``.env`` would
    hand everyone who can read it the secrets (issue 12, item 2). Without git, or
    outside a repository, there is nothing to check."""
    top = _git(kb_dir, "rev-parse", "--show-toplevel")
    # :(top,glob)**/.env: every .env of the repository, the root's included, from its top.
    listed = _git(kb_dir, "ls-files", "-z", "--full-name", ":(top,glob)**/.env")
    if top is None or listed is None:  # no git, not a repository, or no kb/ (load_kb says)
        return []
    root = Path(top.decode("utf-8", "surrogateescape").rstrip("\n"))
    names = sorted(os.fsdecode(name) for name in listed.split(b"\0") if name)
    problems = []
    for name in names:
        shown = display_path(root / name).encode("utf-8", "backslashreplace").decode("utf-8")
        problems.append(
            f"{shown}: a .env file is tracked by git, so every clone and deploy of the"
            f" repository gets its secrets; run git rm --cached {shown}, add it to .gitignore"
            " and rotate the secrets in it."
        )
    return problems


def _git(where: Path, *args: str) -> bytes | None:
    """The output of ``git -C where args``, or None when git is absent or fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(where), *args], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
