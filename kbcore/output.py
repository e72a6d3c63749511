"""All terminal output of ``sync`` in one place.

``result`` is the command's answer and goes to stdout (so ``--json`` stays clean);
``info`` and ``warn`` are progress and advice and go to stderr. The helpers that
shape what is shown (paths, sizes) live here too, so every message reads alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import click

from kbcore.errors import KbsyncError
from kbcore.terminal import escaped


def result(text: str) -> None:
    """Print the command's answer on stdout."""
    click.echo(text)


def info(message: str) -> None:
    """Print progress or context on stderr."""
    click.echo(message, err=True)


def warn(message: str) -> None:
    """Print something the user should look at on stderr, prefixed ``warning:``."""
    click.echo(f"warning: {message}", err=True)


def display_path(path: Path) -> str:
    """``path`` relative to the current directory when it is below it, else absolute (POSIX),
    with control characters escaped: a file name from a pull request must not start a
    line of CI output (``::error …::`` is a workflow command) or drive a terminal."""
    absolute = Path(os.path.abspath(path))
    try:
        return escaped(absolute.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return escaped(absolute.as_posix())


def display_url(url: str) -> str:
    """``url`` without credentials: ``user:password@`` and the query's values become
    ``***`` (a proxy's login or a key in ``OPENAI_BASE_URL`` never reaches a CI log)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = "&".join(
        f"{name}=***" if sep else name
        for name, sep, _ in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    return escaped(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


def human_size(size: int) -> str:
    """``1.2 MiB``, ``512 MiB``: binary multiples, labelled as such (OpenAI's "512 MB"
    limit is 512 MiB)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f}".removesuffix(".0") + f" {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def plural(count: int, noun: str) -> str:
    """``1 document``, ``2 documents``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def exit_with(run: Callable[[], int]) -> NoReturn:
    """The one top-level error handler: run a command and exit with its code.

    Expected failures (``KbsyncError``) print one line and exit 1; Ctrl-C exits 130;
    anything else is a bug and keeps its traceback."""
    try:
        code = run()
    except KbsyncError as error:
        info(f"error: {error}")
        code = 1
    except KeyboardInterrupt:
        info("interrupted")
        code = 130
    sys.exit(code)
