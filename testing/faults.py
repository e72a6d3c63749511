"""Faulted runs: apply under sandbox faults, then check the rules."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing.kb import doc, write_kb
from testing.runs import (
    FAULT_KINDS,
    KB_NAME,
    Outcome,
    command,
    desired_problems,
    kbsync,
    kbsync_env,
    plans_nothing,
    writes_seen,
)
from testing.sandbox import Sandbox
from testing.servers import ROOT

# -- one faulted run -------------------------------------------------------------------


@dataclass
class FaultResult:
    seed: int
    first_code: int
    first_error: str | None  # the one error line of a run that exited 1
    runs_to_converge: int  # 1: the faulted run itself; 2: one more (fault-free) run
    problems: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


def fault_base(n: int = 10) -> dict[str, bytes]:
    return {f"d{i:02}.md": doc(f"Topic {i}") for i in range(n)}


def fault_change(seed: int, base: Mapping[str, bytes]) -> dict[str, bytes]:
    """A seeded mix of creates, updates, deletes and a move on top of ``base``."""
    changed = dict(base)
    names = sorted(base)
    for i in range(2):
        changed[f"new{seed}-{i}.md"] = doc(f"New topic {seed}.{i}")
    for name in names[seed % 4 : seed % 4 + 2]:
        changed[name] = doc(f"{name} revised for seed {seed}")
    del changed[names[-1]]
    changed[f"moved/{names[-2]}"] = changed.pop(names[-2])
    return changed


def fault_run(
    sandbox: Sandbox,
    root: Path,
    seed: int,
    *,
    rate: float = 0.3,
    kinds: tuple[str, ...] = FAULT_KINDS,
    timeout_s: float = 1.0,
    retry_after_ms: int = 100,
    from_write: int = 0,
) -> FaultResult:
    """Sync a base KB, change it, apply under faults; if that exits 1, once more without.

    ``from_write``: switch the faults on only once the apply's Nth write request has
    reached the sandbox (to aim at the middle of an apply rather than its plan)."""
    started = time.monotonic()
    sandbox.reset()
    kb = write_kb(root / f"seed{seed}" / "kb", fault_base(), settings="name: crash\n", replace=True)
    first = kbsync(sandbox, kb, "--yes")
    if first.code != 0:
        raise RuntimeError(f"the base KB did not sync: {first.stderr}")
    write_kb(kb, fault_change(seed, fault_base()), settings="name: crash\n", replace=True)
    env = {"KBSYNC_TIMEOUT": str(timeout_s)}
    settings = {"rate": rate, "kinds": list(kinds), "seed": seed, "retry_after_ms": retry_after_ms}
    try:
        if from_write:
            faulted = _faults_from_write(sandbox, kb, from_write, settings, env)
        else:
            sandbox.faults(**settings)
            faulted = kbsync(sandbox, kb, "--yes", env=env)
    finally:
        sandbox.faults()
    problems = []
    bad = faulted.clean_failure()
    if bad:
        problems.append(bad)
    runs = 1
    if faulted.code == 1:
        runs = 2
        second = kbsync(sandbox, kb, "--yes", env=env)
        if second.code != 0:
            problems.append(f"the next run exit {second.code}: {second.stderr[-500:]}")
    store_id = sandbox.store_id(KB_NAME)
    assert store_id is not None
    problems += desired_problems(sandbox, kb, store_id)
    problems += [f"orphan {f}" for f in sandbox.orphans(store_id)]
    again = plans_nothing(sandbox, kb)
    if again:
        problems.append(again)
    error = faulted.error_lines[0] if faulted.code == 1 and faulted.error_lines else None
    return FaultResult(seed, faulted.code, error, runs, problems, time.monotonic() - started)


def _faults_from_write(
    sandbox: Sandbox, kb: Path, nth: int, settings: dict[str, Any], env: Mapping[str, str]
) -> Outcome:
    base = writes_seen(sandbox)
    proc = subprocess.Popen(
        command(kb, "--yes"),
        env=kbsync_env(sandbox, env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    switched = False
    while proc.poll() is None and not switched:
        if writes_seen(sandbox) - base >= nth:
            sandbox.faults(**settings)
            switched = True
        time.sleep(0.003)
    stdout, stderr = proc.communicate(timeout=240)
    return Outcome(proc.returncode, stdout, stderr)
