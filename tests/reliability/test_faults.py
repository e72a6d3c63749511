"""Under 30 % faults (429 with retry-after, 500, 503, reset, timeout) every run converges,
or exits 1 with one error line and converges on the next; never a traceback.
(50 seeds: bench/fault_runs.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.faults import fault_run
from testing.runs import Outcome, Sandbox
from testing.servers import Server


@pytest.mark.parametrize("seed", [101, 102, 103, 104, 105])
def test_a_faulted_apply_converges_or_fails_cleanly(
    seed: int, sandbox: Server, tmp_path: Path
) -> None:
    result = fault_run(Sandbox(sandbox.url), tmp_path, seed, rate=0.3)
    assert result.problems == []
    assert result.first_code in (0, 1)
    if result.first_code == 1:
        assert result.first_error is not None
        assert result.runs_to_converge == 2


def test_retries_exhausted_mid_apply_fail_with_one_line_then_converge(
    sandbox: Server, tmp_path: Path
) -> None:
    """Every request 429s from the apply's first upload on: each gives up after 8 attempts,
    the run lists the documents that failed and exits 1 with one error line, unstamped;
    the next run converges and leaves no orphan."""
    result = fault_run(
        Sandbox(sandbox.url),
        tmp_path,
        301,
        rate=1.0,
        kinds=("429",),
        retry_after_ms=5,
        from_write=1,
    )
    assert result.problems == []
    assert result.first_code == 1
    assert result.first_error is not None
    assert "documents failed" in result.first_error or "(429)" in result.first_error
    assert result.runs_to_converge == 2


def test_the_clean_failure_rule() -> None:
    """What counts as a clean exit: the rule the runs above are held to."""
    line = "error: The API failed while uploading a.md after 8 attempts (500: x); run again."
    assert Outcome(0, "", "uploaded: 1/1\n").clean_failure() is None
    assert Outcome(1, "", f"uploaded: 0/1\n{line}\n").clean_failure() is None
    assert Outcome(1, "", f"{line}\n{line}\n").clean_failure() is not None
    assert Outcome(1, "", "uploaded: 0/1\n").clean_failure() is not None
    assert Outcome(1, "", f"Traceback (most recent call last):\n{line}\n").clean_failure()
    assert Outcome(2, "", "").clean_failure() is not None
