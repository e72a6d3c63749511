from __future__ import annotations

import os
import shutil
import subprocess
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
    assert outcome.stdout == "kb/ is valid: 2 documents, 1.2 MiB, model gpt-5.4\n"
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


# In CI git must be there: the test then fails loudly instead of skipping.
NEEDS_GIT = pytest.mark.skipif(
    shutil.which("git") is None and os.environ.get("CI") != "true",
    reason="git is not installed",
)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


ENV_PROBLEM = (
    "{path}: a .env file is tracked by git, so every clone and deploy of the repository"
    " gets its secrets; run git rm --cached {path}, add it to .gitignore and rotate the"
    " secrets in it."
)


@NEEDS_GIT
def test_validate_fails_when_env_is_tracked(tmp_path: Path) -> None:
    make_kb(tmp_path, {"a.md": "hello"})
    (tmp_path / ".env").write_text("OPENAI_BASE_URL=https://attacker.example/v1\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / ".env").write_text("RATE_LIMIT=1000000/second\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "kb", ".env", "deploy/.env")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 1
    assert outcome.stdout == ""
    assert outcome.stderr.splitlines() == [
        "error: 2 problems in the knowledge base:",
        "  " + ENV_PROBLEM.format(path=".env"),
        "  " + ENV_PROBLEM.format(path="deploy/.env"),
    ]


@NEEDS_GIT
def test_tracked_env_is_named_from_a_kb_in_a_sub_folder(tmp_path: Path) -> None:
    make_kb(tmp_path / "site", {"a.md": "hello"})
    (tmp_path / ".env").write_text("X=1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".env", "site")
    outcome = CliRunner().invoke(main, ["validate", "--kb", "site/kb"])
    assert outcome.exit_code == 1
    assert outcome.stderr == "error: " + ENV_PROBLEM.format(path=".env") + "\n"


@NEEDS_GIT
def test_an_untracked_env_is_fine(tmp_path: Path) -> None:
    make_kb(tmp_path, {"a.md": "hello"})
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-local\n")
    (tmp_path / ".env.example").write_text("OPENAI_API_KEY=\n")
    (tmp_path / ".gitignore").write_text(".env\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "kb", ".gitignore", ".env.example")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 0, outcome.output


def test_without_git_there_is_no_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_kb(tmp_path, {"a.md": "hello"})
    (tmp_path / ".env").write_text("X=1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 0, outcome.output


@NEEDS_GIT
def test_kb_problems_and_the_env_problem_are_listed_together(tmp_path: Path) -> None:
    make_kb(tmp_path, {"empty.md": ""})
    (tmp_path / ".env").write_text("X=1\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "kb", ".env")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.stderr.splitlines() == [
        "error: 2 problems in the knowledge base:",
        "  " + ENV_PROBLEM.format(path=".env"),
        "  kb/files/empty.md: is empty; add content or delete it.",
    ]
