"""Documents renamed since the last commit, as git sees them, so that a path in
``kb/evals.yaml`` that is gone can be shown with its new name.

A rename is a ``git mv`` (staged, ``R`` in ``git status``), or a document deleted
whose exact bytes now sit at a new path that git does not track yet (a plain ``mv``).
Without git, or outside a repository, there are none.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path, PurePosixPath

from kbcore.kb import FILES


def renames(kb_root: Path) -> dict[str, str]:
    """Old kb path → new kb path (both under ``kb/files/``)."""
    files = kb_root / FILES
    top = git(files, "rev-parse", "--show-toplevel")
    status = git(files, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if top is None or status is None:
        return {}
    root = Path(os.fsdecode(top.rstrip(b"\n")))
    try:
        prefix = PurePosixPath(Path(os.path.realpath(files)).relative_to(os.path.realpath(root)))
    except ValueError:
        return {}

    def kb_path(repo_path: str) -> str | None:
        pure = PurePosixPath(repo_path)
        return pure.relative_to(prefix).as_posix() if pure.is_relative_to(prefix) else None

    found: dict[str, str] = {}
    deleted: list[str] = []
    new: list[str] = []
    entries = iter(os.fsdecode(e) for e in status.split(b"\0") if e)
    for entry in entries:
        code, path = entry[:2], entry[3:]
        if code[0] == "R":
            old = next(entries, "")
            if (before := kb_path(old)) and (after := kb_path(path)):
                found[before] = after
        elif "D" in code:
            deleted.append(path)
        elif code in ("??", "A "):
            new.append(path)
    if deleted and new:
        found.update(_moved(root, prefix, deleted, new))
    return found


def _moved(root: Path, prefix: PurePosixPath, deleted: list[str], new: list[str]) -> dict[str, str]:
    """Deleted paths whose committed bytes are exactly those of a new file."""
    listing = git(root, "ls-tree", "-r", "-z", "HEAD", "--", *deleted)
    if listing is None:
        return {}
    blobs: dict[str, str] = {}  # blob id -> deleted repo path
    for line in os.fsdecode(listing).split("\0"):
        meta, _, path = line.partition("\t")
        if meta:
            blobs.setdefault(meta.split()[2], path)
    moved: dict[str, str] = {}
    for path in new:
        try:
            data = (root / path).read_bytes()
        except OSError:
            continue
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
        if blob in blobs:
            before = PurePosixPath(blobs.pop(blob)).relative_to(prefix).as_posix()
            moved[before] = PurePosixPath(path).relative_to(prefix).as_posix()
    return moved


def git(where: Path, *args: str) -> bytes | None:
    """The output of ``git -C where args``, or None when git is absent or fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(where), *args], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
