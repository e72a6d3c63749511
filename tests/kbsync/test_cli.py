"""The ``kbsync`` command line itself: ``--kb`` anywhere, the KB found upward, "not a
knowledge base", ``--version``, shell completion, the exit codes in ``--help``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbsync.cli import main
from testing.kb import write_kb

KBSYNC = [sys.executable, "-m", "kbsync"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


def test_kb_before_the_subcommand_is_honoured(tmp_path: Path) -> None:
    """Issue 24 item 3: ``kbsync --kb nope validate`` validated ./kb."""
    write_kb(tmp_path / "kb", {"a.md": "alpha"})
    outcome = CliRunner().invoke(main, ["--kb", "nope", "validate"])
    assert outcome.exit_code == 1
    assert outcome.stderr == (
        "error: nope: the knowledge base folder does not exist; pass --kb DIR or set KB_DIR.\n"
    )
    write_kb(tmp_path / "site" / "kb", {"b.md": "bravo", "c.md": "charlie"})
    before = CliRunner().invoke(main, ["--kb", "site/kb", "validate"])
    assert before.exit_code == 0, before.output
    assert before.stdout.splitlines()[0].startswith("site/kb/ is valid: 2 documents")


def test_kb_after_the_subcommand_wins_over_one_before(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb", {"a.md": "alpha"})
    outcome = CliRunner().invoke(main, ["--kb", "nope", "validate", "--kb", "kb"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout.startswith("kb/ is valid: 1 document")


def test_the_kb_is_found_upward_as_git_finds_dot_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_kb(tmp_path / "kb", {"a.md": "alpha"})
    deep = tmp_path / "src" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout.startswith(f"{(tmp_path / 'kb').as_posix()}/ is valid: 1 document")


def test_a_folder_without_instructions_is_not_a_knowledge_base_in_one_line(
    tmp_path: Path,
) -> None:
    """``kbsync eval --kb /tmp`` printed 428 problems."""
    junk = tmp_path / "junk"
    for n in range(30):
        (junk / "files").mkdir(parents=True, exist_ok=True)
        (junk / "files" / f"x{n}.exe").write_text("x")
        (junk / f"y{n}.bin").write_text("y")
    for command in (["validate"], ["eval"], ["watch"], ["check"], []):
        outcome = CliRunner().invoke(
            main, [*command, "--kb", "junk"] if command else ["--kb", "junk"]
        )
        assert outcome.exit_code == 1, command
        assert outcome.stderr == (
            "error: junk is not a knowledge base (it has no instructions.md); pass --kb DIR "
            "naming the folder that holds instructions.md and files/.\n"
        ), command


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    outcome = CliRunner().invoke(main, ["--version"])
    assert outcome.exit_code == 0
    assert outcome.stdout == f"kbsync, version {version('kbsync')}\n"


def test_bash_completion_script_and_completions() -> None:
    env = {**os.environ, "_KBSYNC_COMPLETE": "bash_source"}
    script = subprocess.run(KBSYNC, env=env, capture_output=True, text=True, timeout=60)
    assert script.returncode == 0, script.stderr
    assert "_kbsync_completion()" in script.stdout
    assert "complete -o nosort -F _kbsync_completion kbsync" in script.stdout
    env = {
        **os.environ,
        "_KBSYNC_COMPLETE": "bash_complete",
        "COMP_WORDS": "kbsync va",
        "COMP_CWORD": "1",
    }
    words = subprocess.run(KBSYNC, env=env, capture_output=True, text=True, timeout=60)
    assert words.stdout.splitlines() == ["plain,validate"]
    env["COMP_WORDS"], env["COMP_CWORD"] = "kbsync watch --a", "2"
    options = subprocess.run(KBSYNC, env=env, capture_output=True, text=True, timeout=60)
    assert options.stdout.splitlines() == ["plain,--apply"]


def test_help_lists_the_exit_codes_usage_errors_included() -> None:
    outcome = CliRunner().invoke(main, ["--help"])
    assert outcome.exit_code == 0
    text = " ".join(outcome.stdout.split())
    assert (
        "Exit codes: 0 done or nothing to do; 1 an error (one line says what); 2 changes "
        "pending (only with --detailed-exitcode) or a usage error; 130 interrupted (Ctrl-C)."
    ) in text
    usage = CliRunner().invoke(main, ["--no-such-option"])
    assert usage.exit_code == 2


def test_help_states_the_mass_delete_share_once() -> None:
    from kbcore.defaults import MASS_DELETE_SHARE

    outcome = CliRunner().invoke(main, ["--help"])
    assert f"Allow deleting over {MASS_DELETE_SHARE:.0%} of the store." in outcome.stdout
