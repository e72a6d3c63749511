from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kbsync.cli import main
from tests.kbcore._kb_trees import make_kb


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


def test_valid_kb_prints_the_summary(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        "a.md": "x" * 1000,
        "sub/b.pdf": b"%PDF" + b"\0" * (1200 * 1024),
    }
    make_kb(tmp_path, files, settings="model: gpt-5.4\n")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout == "kb/ is valid: 2 documents, 1.2 MB, model gpt-5.4\n"
    assert outcome.stderr == ""


def test_kb_option_and_singular(tmp_path: Path) -> None:
    make_kb(tmp_path / "site", {"only.md": "hello"})
    outcome = CliRunner().invoke(main, ["validate", "--kb", "site/kb"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout == "site/kb/ is valid: 1 document, 5 B, model gpt-5.4-mini\n"


def test_kb_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_kb(tmp_path / "site", {"only.md": "hello"})
    monkeypatch.setenv("KB_DIR", "site/kb")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.stdout.startswith("site/kb/ is valid: 1 document")


def test_one_problem_is_one_error_line(tmp_path: Path) -> None:
    make_kb(tmp_path, {"empty.md": ""})
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    assert outcome.stderr == "error: kb/files/empty.md: is empty; add content or delete it.\n"
    assert "Traceback" not in outcome.output


def test_every_problem_is_listed(tmp_path: Path) -> None:
    make_kb(tmp_path, {"empty.md": "", "x.exe": "x"}, settings="temperature: 9\n")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 1
    lines = outcome.stderr.splitlines()
    assert lines[0] == "error: 3 problems in the knowledge base:"
    assert lines[1] == "  kb/assistant.yaml:1: temperature must be a number from 0 to 2, not 9."
    assert lines[2] == "  kb/files/empty.md: is empty; add content or delete it."
    assert lines[3].startswith('  kb/files/x.exe: file_search does not support ".exe" files;')
    assert len(lines) == 4


def test_missing_kb_folder() -> None:
    outcome = CliRunner().invoke(main, ["validate", "--kb", "nowhere"])
    assert outcome.exit_code == 1
    assert outcome.stderr == (
        "error: nowhere: the knowledge base folder does not exist; pass --kb DIR or set KB_DIR.\n"
    )
