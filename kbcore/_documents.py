"""Walk ``kb/files/``, refuse what cannot work, and hash the rest.

Every problem is collected (the caller raises them together). Dot-files and
dot-folders are skipped, ``files.exclude`` applies with git's rules, and no link is
followed: each one is a problem (``kbcore._links``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kbcore._hashing import FileHash, HashJob, hash_files
from kbcore._ignore import Excluder, compile_pattern
from kbcore._links import link_problem, links_below
from kbcore._settings import ATTRIBUTE_VALUE_MAX
from kbcore._titles import title_of
from kbcore.formats import MAX_FILE_BYTES, SUPPORTED_EXTENSIONS, TEXT_EXTENSIONS
from kbcore.output import display_path, human_size
from kbcore.terminal import has_control
from kbcore.wire import KB_PATH, KB_SHA256, KB_TITLE, MAX_ATTRIBUTES

_OURS = (KB_PATH, KB_SHA256, KB_TITLE)  # the attributes kbsync sets on every file
MAX_USER_ATTRIBUTES = MAX_ATTRIBUTES - len(_OURS)
_SUPPORTED = ", ".join(sorted(SUPPORTED_EXTENSIONS))


@dataclass(frozen=True)
class Document:
    """One file of ``kb/files/`` that can be sent, as the loader found and hashed it."""

    path: str  # POSIX path under kb/files/
    abs_path: Path
    size: int
    sha256: str
    title: str  # its own title (kbcore._titles), at most 512 characters
    attributes: dict[str, str] = field(default_factory=dict)  # user attributes only


@dataclass
class Collected:
    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def collect(
    files_dir: Path,
    *,
    exclude: tuple[str, ...],
    attributes: tuple[tuple[str, dict[str, str]], ...],
    workers: int | None,
    on_hashed: Callable[[int, int], None] | None,
) -> Collected:
    out = Collected()
    if not files_dir.is_dir():  # git keeps no empty folder: no kb/files/ means no documents
        if files_dir.exists():
            out.problems.append(
                f"{display_path(files_dir)}: is not a folder; make it the folder of the documents."
            )
        return out
    candidates = _Walker(files_dir, Excluder(exclude), out.problems).walk()
    rules = [(compile_pattern(glob), attrs) for glob, attrs in attributes]
    jobs: list[tuple[str, Path, int, dict[str, str]]] = []
    for rel, path in candidates:
        merged: dict[str, str] = {}
        for pattern, attrs in rules:
            if pattern.matches(rel):
                merged.update(attrs)
        size, reasons = _check(rel, path, merged)
        if reasons:
            out.problems.extend(_problem(files_dir, rel, reason) for reason in reasons)
        else:
            jobs.append((rel, path, size, merged))
    total = sum(size for _, _, size, _ in jobs)
    done = 0

    def progress(_: int, result: FileHash) -> None:
        nonlocal done
        done += result.size
        if on_hashed is not None:
            on_hashed(done, total)

    hash_jobs = [
        HashJob(path, _suffix(rel) in TEXT_EXTENSIONS, size) for rel, path, size, _ in jobs
    ]
    results = hash_files(hash_jobs, workers=workers, on_done=progress)
    for (rel, path, _, merged), result in zip(jobs, results, strict=True):
        reason = _content_problem(result)
        if reason is not None:
            out.problems.append(_problem(files_dir, rel, reason))
        else:
            title = title_of(path, rel)
            out.documents.append(Document(rel, path, result.size, result.sha256, title, merged))
    out.problems.sort()  # each starts with the file's path: the report reads in path order
    return out


def _problem(files_dir: Path, rel: str, reason: str) -> str:
    # Names that are not UTF-8 reach us with surrogates; show their bytes as escapes.
    shown = display_path(files_dir / rel).encode("utf-8", "backslashreplace").decode("utf-8")
    return f"{shown}: {reason}"


def _suffix(rel: str) -> str:
    return os.path.splitext(rel)[1].lower()


def _check(rel: str, path: Path, merged: dict[str, str]) -> tuple[int, list[str]]:
    """The file's size, and every reason it cannot be sent (found without reading it)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return 0, ["the name is not valid UTF-8; rename it."]
    if has_control(rel):  # a newline would start a line of its own in every listing
        return 0, ["the name holds a control character (shown escaped); rename it."]
    reasons: list[str] = []
    if len(rel) > ATTRIBUTE_VALUE_MAX:
        reasons.append(
            f"the path is {len(rel)} characters, over the {ATTRIBUTE_VALUE_MAX} that"
            f" the {KB_PATH} attribute can hold; shorten it."
        )
    suffix = _suffix(rel)
    if not suffix:
        reasons.append(
            f"has no extension and file_search needs one of: {_SUPPORTED};"
            " rename it or exclude it in kb/assistant.yaml (files.exclude)."
        )
    elif suffix not in SUPPORTED_EXTENSIONS:
        reasons.append(
            f'file_search does not support "{suffix}" files; convert it to one of:'
            f" {_SUPPORTED}, or exclude it in kb/assistant.yaml (files.exclude)."
        )
    if len(merged) > MAX_USER_ATTRIBUTES:
        reasons.append(
            f"has {len(merged)} user attributes ({', '.join(sorted(merged))}), over the"
            f" {MAX_USER_ATTRIBUTES} a file can carry ({MAX_ATTRIBUTES} minus"
            f" {', '.join(_OURS[:-1])} and {_OURS[-1]});"
            " remove some from attributes in kb/assistant.yaml."
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        return 0, [*reasons, f"cannot be read ({exc.strerror}); check its permissions."]
    if size == 0:
        reasons.append("is empty; add content or delete it.")
    elif size > MAX_FILE_BYTES:
        reasons.append(
            f"is {human_size(size)}, over the {human_size(MAX_FILE_BYTES)} file_search"
            " limit; split it or exclude it in kb/assistant.yaml (files.exclude)."
        )
    return size, reasons


def _content_problem(result: FileHash) -> str | None:
    """What reading the file found wrong, if anything."""
    if result.read_error is not None:
        return f"cannot be read ({result.read_error}); check its permissions."
    if result.lfs_pointer:
        return "is a Git LFS pointer, not the document; run git lfs pull."
    if result.text_error is not None:
        return f"is not UTF-8 or UTF-16 text ({result.text_error}); re-save it as UTF-8."
    if result.size == 0:  # emptied since it was listed
        return "is empty; add content or delete it."
    return None


class _Walker:
    """Lists the documents below ``root`` without following a link: every link met is a
    problem, even in a dot-folder or an excluded one (which are searched for links only)."""

    def __init__(self, root: Path, excluder: Excluder, problems: list[str]) -> None:
        self.root = root
        self.excluder = excluder
        self.problems = problems
        self.found: list[tuple[str, Path]] = []

    def walk(self) -> list[tuple[str, Path]]:
        self._walk(self.root, "")
        return self.found

    def _walk(self, directory: Path, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            shown = display_path(directory)
            self.problems.append(
                f"{shown}: cannot be read ({exc.strerror}); check its permissions."
            )
            return
        for entry in entries:
            rel = prefix + entry.name
            path = Path(entry.path)
            if entry.is_symlink():
                self.problems.append(link_problem(path))
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            if entry.name.startswith(".") or self.excluder.excluded(rel, is_dir=is_dir):
                if is_dir:
                    self.problems.extend(link_problem(link) for link in links_below(path))
                continue
            if is_dir:
                self._walk(path, rel + "/")
            elif entry.is_file(follow_symlinks=False):
                self.found.append((rel, path))
            else:
                self.problems.append(
                    f"{display_path(path)}: is not a regular file; remove it from kb/files/."
                )
