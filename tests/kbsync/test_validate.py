"""``kbsync validate`` (issue 24 items 2, 6, 8): every problem of every part at once, a
token estimate that warns, and a renamed document shown by its new name."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbcore.formats import BYTES_PER_TOKEN, MAX_FILE_TOKENS
from kbsync.cli import main
from testing.kb import write_kb
from tests.conftest import need


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


def _validate() -> tuple[int, list[str], list[str]]:
    outcome = CliRunner().invoke(main, ["validate"])
    return outcome.exit_code, outcome.stdout.splitlines(), outcome.stderr.splitlines()


def test_every_part_is_checked_at_once(tmp_path: Path) -> None:
    """Settings, documents and evals.yaml problems in one run (evals.yaml was checked
    only once the documents had none)."""
    write_kb(
        tmp_path / "kb",
        {"a.md": "alpha", "empty.md": ""},
        settings="name: test\nmodle: 1\n",
        evals="- q: What is alpha?\n  expect: [nope.md]\n",
    )
    code, out, err = _validate()
    assert code == 1
    assert out == []
    assert err[0] == "error: 3 problems in the knowledge base:"
    assert err[1].startswith('  kb/assistant.yaml:2: unknown key "modle";')
    assert err[2] == "  kb/files/empty.md: is empty; add content or delete it."
    assert err[3] == (
        '  kb/evals.yaml:2: expect "nope.md" is not a document of the knowledge base; '
        "write its path under kb/files/."
    )
    assert len(err) == 4


def test_missing_instructions_and_evals_problems_together(tmp_path: Path) -> None:
    kb = write_kb(
        tmp_path / "kb",
        {"a.md": "alpha"},
        evals="- q: What is alpha?\n  expect: [b.md]\n",
    )
    (kb / "instructions.md").write_text("   \n")
    code, _, err = _validate()
    assert code == 1
    assert err == [
        "error: 2 problems in the knowledge base:",
        "  kb/instructions.md: is empty; write the assistant's instructions in it.",
        '  kb/evals.yaml:2: expect "b.md" is not a document of the knowledge base; '
        'did you mean "a.md"?',
    ]


def test_unreadable_settings_say_what_was_not_checked(tmp_path: Path) -> None:
    write_kb(tmp_path / "kb", {"empty.md": ""}, settings="name: [\n")
    code, _, err = _validate()
    assert code == 1
    assert err[-1] == (
        "  kb/files/ and kb/evals.yaml were not checked: kb/assistant.yaml must be read "
        "first (for files.exclude); fix it and validate again."
    )


def test_a_document_over_the_token_limit_is_warned_about(tmp_path: Path) -> None:
    """A document OpenAI refuses for its tokens passed validate, then stopped make dev."""
    size = (MAX_FILE_TOKENS + 1) * BYTES_PER_TOKEN
    line = b"Paragraph of a long manual, repeated to make a big document.\n"
    write_kb(tmp_path / "kb", {"big.md": line * (size // len(line) + 1), "a.md": "alpha"})
    code, out, err = _validate()
    assert code == 0
    assert out[0].startswith("kb/ is valid: 2 documents")
    assert err == [
        "warning: kb/files/big.md: about 2.0 million tokens by its size, over OpenAI's 2 "
        "million per file; OpenAI will refuse it: split it into smaller documents."
    ]


def test_a_pdf_is_not_estimated_by_its_size(tmp_path: Path) -> None:
    size = (MAX_FILE_TOKENS + 1) * BYTES_PER_TOKEN
    write_kb(tmp_path / "kb", {"scan.pdf": b"%PDF-1.4\n" + b"\0" * size})
    code, _, err = _validate()
    assert code == 0
    assert err == []


def test_the_suggestion_stays_in_the_same_folder(tmp_path: Path) -> None:
    """After ``en/faq.md`` became ``en/questions.md`` (no git), ``ru/faq.md`` is no
    suggestion for an English question."""
    write_kb(
        tmp_path / "kb",
        {"en/questions.md": "Questions", "ru/faq.md": "Вопросы", "en/prices.md": "Prices"},
        evals="- q: What is asked often?\n  expect: [en/faq.md]\n"
        "- q: How much?\n  expect: [en/price.md]\n",
    )
    code, _, err = _validate()
    assert code == 1
    assert err == [
        "error: 2 problems in the knowledge base:",
        '  kb/evals.yaml:2: expect "en/faq.md" is not a document of the knowledge base; '
        "write its path under kb/files/.",
        '  kb/evals.yaml:4: expect "en/price.md" is not a document of the knowledge base; '
        'did you mean "en/prices.md"?',
    ]


def _git(root: Path, *args: str) -> None:
    base = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*base, *args], check=True, capture_output=True)


@pytest.mark.parametrize("how", ["git mv", "mv"])
def test_a_rename_is_shown_with_the_new_path(tmp_path: Path, how: str) -> None:
    need(shutil.which("git") is not None, "git is not installed")
    write_kb(
        tmp_path / "kb",
        {"en/faq.md": "Questions", "ru/faq.md": "Вопросы"},
        evals="- q: What is asked often?\n  expect: [en/faq.md]\n",
    )
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "kb")
    if how == "git mv":
        _git(tmp_path, "mv", "kb/files/en/faq.md", "kb/files/en/questions.md")
    else:
        (tmp_path / "kb/files/en/faq.md").rename(tmp_path / "kb/files/en/questions.md")
    code, _, err = _validate()
    assert code == 1
    assert err == [
        'error: kb/evals.yaml:2: expect "en/faq.md" was renamed to "en/questions.md"; '
        "write the new path here."
    ]
