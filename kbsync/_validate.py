"""``kbsync validate``: load and check everything offline, then say what was found."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from kbcore.business import describe
from kbcore.errors import KbError
from kbcore.evals import EvalCase, read_evals
from kbcore.formats import BYTES_PER_TOKEN, MAX_FILE_TOKENS, TEXT_EXTENSIONS
from kbcore.kb import EVALS, FILES, SETTINGS, Document, inspect_kb
from kbcore.models import shutdown_warning, unknown_model
from kbcore.output import display_path, human_size, plural, result, warn
from kbsync._renames import git as _git
from kbsync._renames import renames


def validate(kb_dir: Path) -> int:
    """Exit code 0 with a one-line summary; an invalid KB raises ``KbError`` listing the
    problems of every part at once (git, settings, instructions, documents, evals)."""
    found = inspect_kb(kb_dir)
    problems = [*tracked_env_files(kb_dir), *found.problems]
    cases: tuple[EvalCase, ...] = ()
    if found.documents_checked:
        try:
            renamed = renames(found.root)
            cases = read_evals(found.root, found.settings, found.documents, renames=renamed)
        except KbError as error:
            problems += error.problems
    else:
        problems.append(
            f"{display_path(found.root / FILES)}/ and {display_path(found.root / EVALS)} were"
            f" not checked: {display_path(found.root / SETTINGS)} must be read first (for"
            " files.exclude); fix it and validate again."
        )
    for document in found.documents:
        if (warning := token_warning(document)) is not None:
            warn(warning)
    if problems or found.spec is None:
        raise KbError(problems)
    spec = found.spec
    for warning in (unknown_model(spec.model), shutdown_warning(spec.model)):
        if warning is not None:
            warn(f"{display_path(kb_dir)}/assistant.yaml: {warning}")
    golden = f", {plural(len(cases), 'golden question')}" if cases else ""
    total = sum(d.size for d in found.documents)
    result(
        f"{display_path(kb_dir)}/ is valid: {plural(len(found.documents), 'document')},"
        f" {human_size(total)}, model {spec.model}{golden}"
    )
    for line in describe(spec.starters, spec.leads, spec.handoff, spec.telegram, spec.variants):
        result(f"  {line}")
    return 0


def estimated_tokens(document: Document) -> int | None:
    """A text document's tokens, estimated from its size (``None`` for PDF and Office
    files, whose text cannot be told from their size)."""
    if PurePosixPath(document.path).suffix.lower() not in TEXT_EXTENSIONS:
        return None
    return document.size // BYTES_PER_TOKEN


def token_warning(document: Document) -> str | None:
    """A warning when a document looks over OpenAI's tokens per file (it would be
    refused after its upload, and ``make dev`` would start without it)."""
    tokens = estimated_tokens(document)
    if tokens is None or tokens <= MAX_FILE_TOKENS:
        return None
    return (
        f"{display_path(document.abs_path)}: about {tokens / 1e6:.1f} million tokens by its"
        f" size, over OpenAI's {MAX_FILE_TOKENS / 1e6:g} million per file; OpenAI will"
        " refuse it: split it into smaller documents."
    )


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
