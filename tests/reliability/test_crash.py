"""A killed apply, run again, converges; no common document ever leaves the store; no
orphaned upload survives the rerun. (The full sweep over every step: bench/crash_harness.py.)"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from testing.crash import (
    CrashResult,
    Poller,
    crash,
    mixed_scenario,
    rechunk_scenario,
)
from testing.runs import Sandbox
from testing.servers import Server

LATENCY_MS = 150  # the poller must see a write before the sandbox acts, even on a loaded machine

# Write steps of the mixed apply at --concurrency 1 (bench/crash_harness.py prints them):
# 1 dirty mark, 2-6 upload, 7 attach batch, 8-17 detach / delete File in turn, 18-19
# rewrite attributes, 20 stamp. Killing as the Nth write arrives kills before the
# sandbox acts.
MIXED_POINTS = {
    3: "upload",  # one upload done and never attached: an orphan
    7: "attach batch",  # every upload done, none attached: five orphans
    9: "delete File",  # a file detached but its File not deleted: an orphan
    20: "stamp",  # all done but the stamp
}


def _check(result: CrashResult) -> None:
    assert result.killed, f"kbsync finished before write {result.kill_at}"
    assert result.samples > 10
    assert result.missing == []
    assert result.problems == []
    assert result.rerun_code == 0
    assert result.orphans_after_rerun == 0


@pytest.mark.parametrize("kill_at", sorted(MIXED_POINTS))
def test_mixed_apply_killed_then_rerun_converges(
    kill_at: int, sandbox: Server, tmp_path: Path
) -> None:
    result = crash(
        Sandbox(sandbox.url), mixed_scenario(), tmp_path, kill_at, MIXED_POINTS[kill_at], LATENCY_MS
    )
    _check(result)
    if kill_at in (3, 7, 9):
        assert result.orphans_after_kill > 0  # the cleanup had something to do


def test_rechunk_killed_after_uploads_then_rerun_converges(sandbox: Server, tmp_path: Path) -> None:
    _check(crash(Sandbox(sandbox.url), rechunk_scenario(), tmp_path, 4, "upload", LATENCY_MS))


def test_the_missing_check_can_fail() -> None:
    """A sample without a document of both KBs is reported (the check is not vacuous)."""
    scenario = mixed_scenario()
    poller = Poller(Sandbox("http://127.0.0.1:9"), "vs_none")
    every = [(p, hashlib.sha256(b).hexdigest(), "completed") for p, b in scenario.old.items()]
    poller.samples = [every, [f for f in every if f[0] != "keep.md"]]
    assert poller.missing(scenario) == ["sample #1: keep.md missing"]
    poller.samples = [[f if f[0] != "dup.md" else (f[0], f[1], "in_progress") for f in every]]
    assert poller.missing(scenario) == ["sample #0: dup.md missing"]
    poller.samples = [[f if f[0] != "ren/old-name.md" else (f[0], "other", f[2]) for f in every]]
    assert poller.missing(scenario) == ["sample #0: ren/old-name.md→ren/new-name.md missing"]
