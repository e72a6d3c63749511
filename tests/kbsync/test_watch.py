"""``kbsync watch``: a change under kb/ re-plans (or applies); Ctrl-C exits 0.

The watch prints "Watching …" once its watcher runs, before the first cycle: the tests
wait for that line (or for what a cycle prints), never for a fixed time.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kbcore.errors import RemoteError
from kbsync import _watch
from kbsync._watch import changed_paths, watch
from testing.servers import ROOT, Server
from testing.waiting import wait_for
from tests.conftest import need
from tests.sync._sync_helpers import assert_in_sync, put, stats, write_kb

pytestmark = pytest.mark.usefixtures("sandbox_env")


class Seen:
    """Everything printed so far (capsys hands out each part only once)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.out = self.err = ""

    def read(self) -> None:
        captured = self._capsys.readouterr()
        self.out += captured.out
        self.err += captured.err

    def has(self, text: str, *, stream: str = "out", times: int = 1) -> Callable[[], bool]:
        def check() -> bool:
            self.read()
            return (self.out if stream == "out" else self.err).count(text) >= times

        return check

    def lines(self, stream: str = "err") -> list[str]:
        self.read()
        return (self.out if stream == "out" else self.err).splitlines()


@contextmanager
def watching(
    kb: Path, capsys: pytest.CaptureFixture[str], *, apply_changes: bool = False, **kw: Any
) -> Iterator[Seen]:
    """``watch`` in a thread, until the block ends; yields what it printed so far."""
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(watch(kb, apply_changes=apply_changes, stop_event=stop, **kw))
    )
    thread.start()
    try:
        yield Seen(capsys)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert codes == [0]


def test_watch_apply_follows_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    with watching(kb, capsys, apply_changes=True, debounce_ms=100) as seen:
        wait_for(seen.has("Applied: vector store vs_"), timeout=60, what="the first apply")
        put(kb, "b.md", "bravo")
        wait_for(seen.has("  + b.md"), timeout=60, what="a plan with the new file")
        wait_for(seen.has("Applied: 1 file uploaded"), timeout=60, what="the second apply")
    assert_in_sync(kb)


def test_watch_survives_an_invalid_kb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    with watching(kb, capsys, debounce_ms=100) as seen:
        wait_for(seen.has("Plan: 1 to create."), timeout=60, what="the first plan")
        put(kb, "empty.md", "")
        wait_for(seen.has("error: ", stream="err"), timeout=60, what="the error line")
        (kb / "files" / "empty.md").unlink()
        wait_for(seen.has("Plan: 1 to create.", times=2), timeout=60, what="recovery")


def test_a_save_during_the_first_cycle_is_planned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18 item 9: the watcher runs before the first cycle, so a file saved while
    that cycle plans (after it loaded kb/) starts another cycle."""
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    real = _watch.make_plan
    calls: list[int] = []

    def plan_while_a_file_is_saved(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            put(kb, "b.md", "saved during the first cycle")
        return real(*args, **kwargs)

    monkeypatch.setattr(_watch, "make_plan", plan_while_a_file_is_saved)
    with watching(kb, capsys, debounce_ms=100) as seen:
        wait_for(seen.has("  + b.md"), timeout=30, what="the saved file in a plan")
    assert len(calls) == 2
    assert "1 change under kb/; planning again." in seen.lines()


def test_a_file_still_being_written_is_uploaded_once_when_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sandbox: Server
) -> None:
    """Issue 24 item 1: a large file written in pieces is planned once, when it stops
    changing, and its whole bytes are uploaded once."""
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    chunk = "A line of a long document that is still being copied.\n" * 2000
    # A quiet period well over the writer's pauses, even on a loaded machine.
    with watching(kb, capsys, apply_changes=True, debounce_ms=2000) as seen:
        wait_for(seen.has("Applied: vector store vs_"), timeout=60, what="the first apply")
        uploads = stats(sandbox)["POST /v1/files"]
        target = kb / "files" / "big.md"
        with target.open("w", encoding="utf-8") as file:
            for _ in range(12):  # a slow writer: a piece every 0.1 s for 1.2 s
                file.write(chunk)
                file.flush()
                time.sleep(0.1)
        wait_for(seen.has("Applied: 1 file uploaded"), timeout=60, what="the apply of big.md")
    assert stats(sandbox)["POST /v1/files"] == uploads + 1
    assert seen.out.count("  + big.md") == 1
    assert_in_sync(kb)


def test_one_sed_i_is_one_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 24 item 9: ``sed -i`` writes a temporary file and renames it over the
    document: one change, not three."""
    need(shutil.which("sed") is not None, "sed is not installed")
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    with watching(kb, capsys, debounce_ms=100) as seen:
        wait_for(seen.has("Plan: 1 to create."), timeout=60, what="the first plan")
        subprocess.run(["sed", "-i", "s/alpha/omega/", str(kb / "files" / "a.md")], check=True)
        wait_for(seen.has("Plan: 1 to create.", times=2), timeout=60, what="the second plan")
    assert [line for line in seen.lines() if "under kb/" in line] == [
        "1 change under kb/; planning again."
    ]


def test_changed_paths_counts_each_path_once_and_no_temporary_file(tmp_path: Path) -> None:
    from watchfiles import Change

    kept = tmp_path / "a.md"
    kept.write_text("x")
    gone = str(tmp_path / "sedAbc123")
    batch = {
        (Change.added, gone),
        (Change.modified, gone),
        (Change.deleted, gone),
        (Change.added, str(kept)),
        (Change.modified, str(kept)),
        (Change.deleted, str(tmp_path / "old.md")),
    }
    assert changed_paths(batch) == {str(kept), str(tmp_path / "old.md")}


def test_a_cycle_that_fails_unexpectedly_is_one_line_and_the_watch_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24 item 1: an error no one expected (h11's "Too much data for declared
    Content-Length" was one) is one line; the next change is planned as usual."""
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    real = _watch.make_plan
    calls: list[int] = []

    def fail_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Too much data for declared Content-Length")
        return real(*args, **kwargs)

    monkeypatch.setattr(_watch, "make_plan", fail_once)
    with watching(kb, capsys, debounce_ms=100) as seen:
        wait_for(seen.has("error: ", stream="err"), timeout=30, what="the error line")
        put(kb, "b.md", "bravo")
        wait_for(seen.has("Plan: 2 to create."), timeout=60, what="the next plan")
    errors = [line for line in seen.lines() if line.startswith("error: ")]
    assert errors == [
        "error: this cycle failed unexpectedly (RuntimeError: Too much data for declared "
        "Content-Length); the watch goes on (run kbsync for the full story)."
    ]
    assert "Traceback" not in seen.err


def test_a_remote_error_in_a_cycle_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RemoteError("OpenAI could not be reached; check the network.")

    monkeypatch.setattr(_watch, "make_plan", refuse)
    with watching(kb, capsys, debounce_ms=100) as seen:
        wait_for(seen.has("error: ", stream="err"), timeout=30, what="the error line")
    assert "error: OpenAI could not be reached; check the network." in seen.lines()


def _git(root: Path, *args: str) -> None:
    base = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*base, *args], check=True, capture_output=True)


def test_watch_warns_when_a_rename_breaks_evals_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24 item 8: after ``git mv`` the watch says evals.yaml broke, naming the new path."""
    need(shutil.which("git") is not None, "git is not installed")
    monkeypatch.chdir(tmp_path)
    kb = write_kb(tmp_path, {"en/faq.md": "Questions", "ru/faq.md": "Вопросы"})
    (kb / "evals.yaml").write_text("- q: What is asked often?\n  expect: [en/faq.md]\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "kb")
    with watching(kb, capsys, debounce_ms=100) as seen:
        wait_for(seen.has("Plan: 2 to create."), timeout=60, what="the first plan")
        _git(tmp_path, "mv", "kb/files/en/faq.md", "kb/files/en/questions.md")
        wait_for(seen.has("evals.yaml broke", stream="err"), timeout=60, what="the warning")
    warnings = [line for line in seen.lines() if line.startswith("warning: ")]
    assert warnings == [
        'warning: evals.yaml broke: kb/evals.yaml:2: expect "en/faq.md" was renamed to '
        '"en/questions.md"; write the new path here.'
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_0(tmp_path: Path, base_url: str) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "CI": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kbsync", "watch", "--kb", str(kb)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the first plan's first line: the watch is running
        assert line.startswith("Vector store kb:test")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert err.splitlines()[-1] == "Stopped watching."
    assert "Traceback" not in err
