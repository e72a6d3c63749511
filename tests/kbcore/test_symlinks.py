"""Issue 12, item 1: no symbolic link anywhere in ``kb/`` is read, by validate, sync or
the relay's reload (``load_spec``). Each test reproduces a way a link leaked content."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbcore.errors import KbError
from kbcore.kb import load_kb, load_spec
from kbsync.cli import main
from tests.kbcore._kb_trees import INSTRUCTIONS, make_kb

FILE = "replace it with a regular file (kbsync reads nothing through links)."
FOLDER = "replace it with a regular folder (kbsync reads nothing through links)."


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


def problems_of(load: Callable[[Path], object], kb: Path) -> list[str]:
    with pytest.raises(KbError) as caught:
        load(kb)
    return caught.value.problems


def test_instructions_symlink_to_proc_environ_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_SECRET", "item1-secret-value-that-must-not-leak")
    kb = make_kb(tmp_path, instructions=None)
    (kb / "instructions.md").symlink_to("/proc/self/environ")
    expected = [f"kb/instructions.md: is a symbolic link to /proc/self/environ; {FILE}"]
    assert problems_of(load_spec, kb) == expected  # the relay's hot reload
    assert problems_of(load_kb, kb) == expected  # sync
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 1
    assert outcome.stderr == f"error: {expected[0]}\n"
    assert "item1-secret" not in outcome.output


def test_symlinked_files_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "private").mkdir(parents=True)
    (outside / "private" / "salaries.md").write_text("# Salaries\n")
    kb = make_kb(tmp_path, {})
    (kb / "files").rmdir()
    (kb / "files").symlink_to(outside, target_is_directory=True)
    assert problems_of(load_kb, kb) == [f"kb/files: is a symbolic link to {outside}; {FOLDER}"]


def test_symlinked_kb_folder_is_refused(tmp_path: Path) -> None:
    real = make_kb(tmp_path / "real")
    (tmp_path / "kb").symlink_to(real, target_is_directory=True)
    expected = [f"kb: is a symbolic link to {real}; {FOLDER}"]
    assert problems_of(load_spec, tmp_path / "kb") == expected
    assert problems_of(load_kb, tmp_path / "kb") == expected


def test_symlinked_settings_are_refused(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (tmp_path / "shared.yaml").write_text("model: gpt-5.4\n")
    (kb / "assistant.yaml").symlink_to(tmp_path / "shared.yaml")
    expected = [f"kb/assistant.yaml: is a symbolic link to {tmp_path / 'shared.yaml'}; {FILE}"]
    assert problems_of(load_spec, kb) == expected
    assert problems_of(load_kb, kb) == expected


def test_symlinked_evals_are_refused(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (tmp_path / "evals.yaml").write_text("- q: x\n  expect: [a.md]\n")
    (kb / "evals.yaml").symlink_to(tmp_path / "evals.yaml")
    assert problems_of(load_kb, kb) == [
        f"kb/evals.yaml: is a symbolic link to {tmp_path / 'evals.yaml'}; {FILE}"
    ]


def test_links_inside_files_are_refused_even_when_they_stay_inside(
    tmp_path: Path,
) -> None:
    kb = make_kb(tmp_path, {"a.md": "A\n", "sub/b.md": "B\n"})
    (kb / "files" / "alias.md").symlink_to("a.md")
    (kb / "files" / "also").symlink_to("sub", target_is_directory=True)
    assert problems_of(load_kb, kb) == [
        f"kb/files/alias.md: is a symbolic link to a.md; {FILE}",
        f"kb/files/also: is a symbolic link to sub; {FOLDER}",
    ]


def test_links_in_excluded_and_dot_folders_are_refused(tmp_path: Path) -> None:
    settings = 'files:\n  exclude: ["drafts/"]\n'
    kb = make_kb(tmp_path, {"a.md": "A\n", "drafts/d.md": "D\n"}, settings=settings)
    (kb / "files" / "drafts" / "env.md").symlink_to("/proc/self/environ")
    (kb / "files" / ".hidden").mkdir()
    (kb / "files" / ".hidden" / "x.md").symlink_to("/etc/hostname")
    (kb / "notes").mkdir()
    (kb / "notes" / "y.md").symlink_to("/etc/hostname")
    assert problems_of(load_kb, kb) == [
        f"kb/files/.hidden/x.md: is a symbolic link to /etc/hostname; {FILE}",
        f"kb/files/drafts/env.md: is a symbolic link to /proc/self/environ; {FILE}",
        f"kb/notes/y.md: is a symbolic link to /etc/hostname; {FILE}",
    ]


def test_broken_and_looping_links_are_refused(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"sub/a.md": "a"})
    (kb / "files" / "gone.md").symlink_to("missing.md")
    (kb / "files" / "sub" / "up").symlink_to("..", target_is_directory=True)
    assert problems_of(load_kb, kb) == [
        f"kb/files/gone.md: is a symbolic link to missing.md; {FILE}",
        f"kb/files/sub/up: is a symbolic link to ..; {FOLDER}",
    ]


def test_a_link_swapped_in_after_the_check_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the file is regular when looked at and a link when opened."""
    kb = make_kb(tmp_path)
    instructions = kb / "instructions.md"
    real_lstat = os.lstat
    swapped = False

    def lstat_then_swap(path: str | os.PathLike[str]) -> os.stat_result:
        nonlocal swapped
        result = real_lstat(path)
        if not swapped and os.fspath(path) == os.fspath(instructions):
            swapped = True
            instructions.unlink()
            instructions.symlink_to("/proc/self/environ")
        return result

    monkeypatch.setattr(os, "lstat", lstat_then_swap)
    with pytest.raises(KbError) as caught:
        load_spec(kb)
    assert caught.value.problems == [
        f"kb/instructions.md: is a symbolic link to /proc/self/environ; {FILE}"
    ]


def test_regular_files_still_load(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"a.md": "# A\n"}, settings="model: gpt-5.4\n")
    (kb / "evals.yaml").write_text("- q: what is a\n  expect: [a.md]\n")
    assert load_spec(kb).instructions == INSTRUCTIONS.strip()
    assert [d.path for d in load_kb(kb).documents] == ["a.md"]
