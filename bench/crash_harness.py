"""Crash consistency: SIGKILL ``kbsync`` at every write request of an apply, then rerun.

For each scenario (``mixed``: create, update, move, delete, retry, retag and duplicate
in one apply; ``rechunk``: a chunking change with a create and a delete) the script
records the write requests of an uninterrupted apply (``--concurrency 1``, so that
each is its own step), then for every N: prepares the same old store, starts the apply
with ``latency_ms`` on every request, kills the process as soon as its Nth write has
reached the sandbox, runs ``kbsync --yes`` again, and checks the final store, the
samples a background poller took of the store throughout, and the orphaned Files.

    .venv/bin/python bench/crash_harness.py [--latency-ms 100] [--scenario mixed]

Exit status 1 if any kill point fails a check. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _sync_bench import machine

from testing.crash import (
    CrashResult,
    crash,
    mixed_scenario,
    rechunk_scenario,
    reference_steps,
)
from testing.runs import Sandbox
from testing.servers import sandbox_server

SCENARIOS = {"mixed": mixed_scenario, "rechunk": rechunk_scenario}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    args = parser.parse_args()
    print(machine())
    results: list[CrashResult] = []
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="kbsync-crash-") as tmp,
        sandbox_server(Path(tmp) / "sandbox.log") as server,
    ):
        sandbox = Sandbox(server.url)
        for name in args.scenario or list(SCENARIOS):
            scenario = SCENARIOS[name]()
            steps = reference_steps(sandbox, scenario, Path(tmp) / name / "ref", args.latency_ms)
            print(f"\n{name}: {len(steps)} write steps: {', '.join(steps)}", flush=True)
            print(
                "\n| scenario | kill at | step in flight | killed | orphans after kill | "
                "rerun | orphans after rerun | samples | missing | problems | s |"
            )
            print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
            for n, step in enumerate(steps, start=1):
                result = crash(
                    sandbox, scenario, Path(tmp) / name / str(n), n, step, args.latency_ms
                )
                results.append(result)
                print(
                    f"| {name} | {n} | {step} | {'yes' if result.killed else 'no'} | "
                    f"{result.orphans_after_kill} | {result.rerun_code} | "
                    f"{result.orphans_after_rerun} | {result.samples} | "
                    f"{len(result.missing)} | {len(result.problems)} | {result.seconds:.1f} |",
                    flush=True,
                )
                for line in (result.missing + result.problems)[:5]:
                    print(f"    ! {line}", flush=True)
    failed = [r for r in results if not r.ok]
    samples = sum(r.samples for r in results)
    print(
        f"\n{len(results)} kill points, {len(failed)} failed; {samples} store samples; "
        f"orphans after kill: {sum(r.orphans_after_kill for r in results)} in total, "
        f"after rerun: {sum(r.orphans_after_rerun for r in results)}; "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
