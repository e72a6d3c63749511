"""No symbolic link in ``kb/`` is ever read: what the model is sent is a regular file of
the repository, never ``/proc/self/environ`` or a folder outside it (issue 12, item 1).

Links are found with ``lstat`` (so every one is named in a problem), and the files
kbsync reads are opened with ``O_NOFOLLOW`` below a folder opened the same way, so a
link swapped in after the check is refused by the kernel instead of followed.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from kbcore.output import display_path
from kbcore.terminal import escaped

_ADVICE = "(kbsync reads nothing through links)."
_NOFOLLOW = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class LinkRefused(OSError):
    """``read_regular`` met a symbolic link: ``path`` is the link (the file or its folder)."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ELOOP, "is a symbolic link", str(path))
        self.path = path


class NotRegular(OSError):
    """``read_regular`` met a FIFO, a device or a socket: reading it could block or leak."""


def is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def link_problem(path: Path) -> str:
    """One sentence naming the link, where it points and what to do."""
    shown = display_path(path).encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    kind = "folder" if os.path.isdir(path) else "file"
    return (
        f"{shown}: is a symbolic link to {escaped(target)}; "
        f"replace it with a regular {kind} {_ADVICE}"
    )


def links_below(folder: Path) -> Iterator[Path]:
    """Every symbolic link inside ``folder`` at any depth, in name order; links are not
    followed, unreadable folders are passed over (the loader reports them)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            yield Path(entry.path)
        elif entry.is_dir(follow_symlinks=False):
            yield from links_below(Path(entry.path))


def open_nofollow(path: Path) -> BinaryIO:
    """``path`` opened for reading, unless it is (now) a link: then ``OSError`` (ELOOP)."""
    return open(os.open(path, _NOFOLLOW), "rb")


def open_below(root: Path, relative: str) -> BinaryIO:
    """``root/relative`` opened for reading one component at a time, each folder with
    ``O_NOFOLLOW | O_DIRECTORY`` relative to the one above (``openat``), the file with
    ``O_NOFOLLOW``: a link anywhere below ``root``, swapped in at any moment, is refused
    (``LinkRefused`` naming it) instead of followed; so is a file that is not regular."""
    *folders, name = relative.split("/")
    here = root
    fd = os.open(root, _NOFOLLOW | os.O_DIRECTORY)
    try:
        for folder in folders:
            here = here / folder
            try:
                inner = os.open(folder, _NOFOLLOW | os.O_DIRECTORY, dir_fd=fd)
            except OSError as exc:
                raise _refusal(exc, here) from exc
            os.close(fd)
            fd = inner
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
            file_fd = os.open(name, _NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except OSError as exc:
            raise _refusal(exc, here / name) from exc
    finally:
        os.close(fd)
    stream = open(file_fd, "rb")  # noqa: SIM115 (returned open, closed by the caller)
    if not stat.S_ISREG(os.fstat(file_fd).st_mode):
        stream.close()
        raise NotRegular(errno.EINVAL, "is not a regular file", str(here / name))
    return stream


def _refusal(exc: OSError, path: Path) -> OSError:
    # ELOOP for a link as the file; ENOTDIR for a link (to anything) as a folder.
    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and is_link(path):
        return LinkRefused(path)
    return exc


def read_regular(path: Path) -> bytes:
    """The bytes of ``path``, refusing (``LinkRefused``) a link as the file or as its folder.

    Raises ``FileNotFoundError`` when absent, other ``OSError`` when unreadable."""
    for link in (path.parent, path):
        if is_link(link):
            raise LinkRefused(link)
    try:
        folder = os.open(path.parent, _NOFOLLOW | os.O_DIRECTORY)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link swapped in since is_link looked
            raise LinkRefused(path.parent) from exc
        raise
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        fd = os.open(path.name, _NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LinkRefused(path) from exc
        raise
    finally:
        os.close(folder)
    with open(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise NotRegular(errno.EINVAL, "is not a regular file", str(path))
        return stream.read()
