"""Faults: seeded ``kbsync --yes`` runs against a sandbox that fails 30 % of requests.

Each seed: sync a 10-document KB fault-free, change it (2 creates, 2 updates, a
delete, a move), then apply with the sandbox at ``rate`` for the kinds 429 (with
``retry-after``), 500, 503, reset and timeout (``KBSYNC_TIMEOUT=1`` so that a hung
request is given up after a second and repeated). The run must converge, or exit 1
with exactly one ``error:`` line (the last on stderr) and converge on the next,
fault-free run; never a traceback; no orphaned upload left; a dry run after plans
nothing.

    .venv/bin/python bench/fault_runs.py [--seeds 50] [--rate 0.3]
    .venv/bin/python bench/fault_runs.py --exhaust --rate 0.7 --seeds 20   # exit-1 path

Exit status 1 if any seed breaks a rule. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

from _sync_bench import machine

from testing.faults import FaultResult, fault_run
from testing.runs import FAULT_KINDS, Sandbox
from testing.servers import sandbox_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument(
        "--exhaust",
        action="store_true",
        help="429s only (retry-after 5 ms) so that retries run out: the exit-1 path",
    )
    args = parser.parse_args()
    kinds = ("429",) if args.exhaust else FAULT_KINDS
    retry_after_ms = 5 if args.exhaust else 100
    print(machine())
    results: list[FaultResult] = []
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="kbsync-faults-") as tmp,
        sandbox_server(Path(tmp) / "sandbox.log") as server,
    ):
        sandbox = Sandbox(server.url)
        print("\n| seed | faulted run | runs to converge | s | error line / problems |")
        print("|---:|---:|---:|---:|---|")
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            result = fault_run(
                sandbox,
                Path(tmp),
                seed,
                rate=args.rate,
                kinds=kinds,
                retry_after_ms=retry_after_ms,
            )
            results.append(result)
            note = "; ".join(result.problems)[:300] or (result.first_error or "")
            print(
                f"| {seed} | exit {result.first_code} | {result.runs_to_converge} | "
                f"{result.seconds:.1f} | {note} |",
                flush=True,
            )
    outcomes = collections.Counter(r.first_code for r in results)
    failed = [r.seed for r in results if not r.ok]
    seconds = [r.seconds for r in results]
    print(
        f"\n{len(results)} seeds at rate {args.rate} of {'/'.join(kinds)}: "
        f"{outcomes[0]} converged in the faulted run, {outcomes[1]} exited 1 with one "
        "error line and converged on the next; "
        f"rule broken by seeds {failed or 'none'}; run time median "
        f"{sorted(seconds)[len(seconds) // 2]:.1f} s, max {max(seconds):.1f} s; "
        f"total {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
