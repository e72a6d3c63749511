"""Each relay default is written once (on ``Config``) and documented truly: the
operators' table of variables names every variable ``Config`` reads, nothing else, and
each default it shows is the one ``Config`` uses (issue 18 item 7)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from relay import _config
from relay._config import Config
from testing.servers import ROOT

# The page that holds the relay's table of variables ("| variable | default | meaning |").
# Moving the table to another page means changing this path, nothing else.
ENV_TABLE_DOC = ROOT / "docs" / "operators.md"
HEADER = "| variable | default | meaning |"
CODE = re.compile(r"`([^`]+)`")
NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def documented() -> dict[str, str | None]:
    """Each variable of the table → its default as a literal (``None`` when the cell
    says it in words: none, off, OpenAI, …)."""
    lines = ENV_TABLE_DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2  # skip the |---| line
    table: dict[str, str | None] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        names = NAME.findall(cells[0])
        literals = CODE.findall(cells[1])
        if len(literals) != len(names):
            literals = [None] * len(names)  # type: ignore[list-item]
        table.update(zip(names, literals, strict=True))
    return table


def read_by_config(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The variables ``Config.from_env`` asks for, in order."""
    asked: list[str] = []
    inside: list[str] = []  # a reader that calls another (secret → text) counts once
    for attr, method in list(vars(_config._Env).items()):
        if attr.startswith("_") or not callable(method):
            continue

        def recording(self: object, name: str, *args: object, _m: object = method, **kw: object):  # type: ignore[no-untyped-def]
            if not inside:
                asked.append(name)
            inside.append(name)
            try:
                return _m(self, name, *args, **kw)  # type: ignore[operator]
            finally:
                inside.pop()

        monkeypatch.setattr(_config._Env, attr, recording)
    Config.from_env({})
    return asked


def test_the_table_names_every_variable_config_reads_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = read_by_config(monkeypatch)
    assert len(read) == len(set(read)), "a variable is read twice"
    table = documented()
    assert sorted(set(read) - set(table)) == [], "read by Config, missing from the table"
    assert sorted(set(table) - set(read)) == [], "in the table, not read by Config"


def _literal_defaults() -> Iterator[tuple[str, str]]:
    for name, literal in documented().items():
        if literal is not None:
            yield name, literal


@pytest.mark.parametrize(("name", "literal"), list(_literal_defaults()))
def test_each_documented_default_is_configs(name: str, literal: str) -> None:
    assert Config.from_env({name: literal}) == Config.from_env({}), (
        f"{ENV_TABLE_DOC.name} says {name} defaults to {literal!r}; Config says otherwise"
    )


def test_the_defaults_of_from_env_are_the_dataclass_defaults() -> None:
    assert Config.from_env({}) == Config()
