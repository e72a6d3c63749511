"""``kbsync watch``: a change under kb/ re-plans (or applies); Ctrl-C exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kbsync._watch import watch
from testing.servers import ROOT
from tests.sync._sync_helpers import assert_in_sync, put, write_kb

pytestmark = pytest.mark.usefixtures("sandbox_env")


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Seen:
    """Everything printed so far (capsys hands out each part only once)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.out = self.err = ""

    def has(self, text: str, *, stream: str = "out") -> Callable[[], bool]:
        def check() -> bool:
            captured = self._capsys.readouterr()
            self.out += captured.out
            self.err += captured.err
            return text in (self.out if stream == "out" else self.err)

        return check


def test_watch_apply_follows_edits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    stop = threading.Event()
    codes: list[int] = []

    def run() -> None:
        codes.append(watch(kb, apply_changes=True, stop_event=stop, debounce_ms=100))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        seen = Seen(capsys)
        wait_for(seen.has("Applied: vector store vs_"), "the first apply")
        time.sleep(0.5)  # let the watcher start before editing
        put(kb, "b.md", "bravo")
        wait_for(seen.has("  + b.md"), "a plan with the new file")
        wait_for(seen.has("Applied: 1 file uploaded"), "the second apply")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert codes == [0]
    assert_in_sync(kb)


def test_watch_survives_an_invalid_kb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = write_kb(tmp_path, {"a.md": "alpha"})
    stop = threading.Event()
    thread = threading.Thread(target=lambda: watch(kb, stop_event=stop, debounce_ms=100))
    thread.start()
    try:
        seen = Seen(capsys)
        wait_for(seen.has("Plan: 1 to create."), "the first plan")
        time.sleep(0.5)
        put(kb, "empty.md", "")
        wait_for(seen.has("error: ", stream="err"), "the error line")
        (kb / "files" / "empty.md").unlink()
        before = seen.out.count("Plan: 1 to create.")
        wait_for(
            lambda: seen.has("")() and seen.out.count("Plan: 1 to create.") > before, "recovery"
        )
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


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
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert err.splitlines()[-1] == "Stopped watching."
    assert "Traceback" not in err
