"""The documentation a newcomer follows: every relative link resolves, and every
``kbsync`` command and option it shows exists in ``--help``."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kbsync.cli import main
from testing.servers import ROOT

PAGES = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)
README_LIMIT = 12 * 1024


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert broken == [], f"{_id(page)} links to files that do not exist"


def test_the_readme_is_a_front_door() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= README_LIMIT
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n\n", 2)[1]
    assert "make dev" in head  # the two commands come first
    assert "make test" in head


@cache
def _help(path: tuple[str, ...]) -> str | None:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=200)
    return result.output if result.exit_code == 0 else None


def _shown_commands() -> list[tuple[str, str]]:
    """Every ``kbsync …`` line inside a fenced block of the docs, with where it is."""
    found = []
    for page in PAGES:
        for block in FENCE.findall(page.read_text(encoding="utf-8")):
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ")
                if re.match(r"^(OPENAI_\w+=\S+ )*kbsync( |$)", line):
                    found.append((_id(page), line.split("kbsync", 1)[1].split("#", 1)[0]))
    return found


def _command_path(words: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The subcommand path the words name, and the options they show."""
    path: list[str] = []
    group: click.Command = main
    for word in words:
        if word.startswith("-"):
            break
        if isinstance(group, click.Group):
            ctx = click.Context(group)
            sub = group.get_command(ctx, word)
            if sub is not None:
                path.append(word)
                group = sub
                continue
        break
    options = [w.split("=", 1)[0] for w in words if w.startswith("--")]
    return tuple(path), options


def test_every_command_the_docs_show_exists() -> None:
    missing = []
    for where, line in _shown_commands():
        words = [w.strip("[]|(),") for w in line.split()]
        path, options = _command_path([w for w in words if w])
        shown = _help(path)
        if shown is None:
            missing.append(f"{where}: kbsync {' '.join(path)} has no --help")
            continue
        for option in options:
            if option not in shown and option not in (_help(()) or ""):
                missing.append(f"{where}: kbsync {' '.join(path)} has no {option}")
    assert missing == []
