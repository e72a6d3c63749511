"""Progress: plain lines in CI (few of them), a rich bar on a terminal; always stderr."""

from __future__ import annotations

import pytest

from sync import _progress


def test_plain_in_ci_shows_only_the_last_line_of_a_quick_step(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    with _progress.make() as progress:
        step = progress.step("uploaded", 3)
        for _ in range(3):
            step.advance()
        progress.step("removed", 0).advance()  # empty steps print nothing
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["uploaded: 3/3"]


def test_plain_lines_every_tenth_when_slow(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(_progress, "SLOW_STEP", 0.0)
    with _progress.make() as progress:
        step = progress.step("hashed", 20, show=lambda n: f"{n} B")
        for _ in range(20):
            step.advance()
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["hashed: 1 B/20 B", "hashed: 2 B/20 B"]
    assert lines[-1] == "hashed: 20 B/20 B"
    assert len(lines) == 11


def test_rich_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(_progress, "wants_plain", lambda: False)
    with _progress.make() as progress:
        step = progress.step("uploaded", 2)
        step.advance()
        step.update(2)
    assert isinstance(progress, _progress._Rich)


def test_quiet_shows_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with _progress.make(quiet=True) as progress:
        progress.step("uploaded", 5).advance(5)
    assert capsys.readouterr().err == ""
