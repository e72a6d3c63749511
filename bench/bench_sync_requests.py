"""API requests sent by a no-op sync, and by a sync of one changed file.

    .venv/bin/python bench/bench_sync_requests.py [--sizes 1000 10000]

For each N: starts a private sandbox, makes N small documents under bench/_work/,
syncs them once, then counts (through ``GET /_sandbox/stats``) the requests of

- a no-op ``kbsync --yes`` (budget: ceil(N/100) + 5), and
- a ``kbsync --yes`` after one document changed (budget: 6 more than the no-op).
"""

from __future__ import annotations

import argparse
import math

from _sync_bench import cleanup, kbsync, machine, make_kb, must, sandbox


def measure(size: int) -> tuple[int, int, int]:
    name = f"requests-{size}"
    kb = make_kb(name, size)
    try:
        with sandbox() as box:
            must(kbsync(box, kb, "--yes", "--concurrency", "16"), "the first sync")
            before = box.total()
            noop = must(kbsync(box, kb, "--yes"), "the no-op sync")
            assert "No changes" in noop.stdout, noop.stdout
            middle = box.total()
            (kb / "files" / "part00" / "doc00000.md").write_text("# Document 0\n\nChanged.\n")
            must(kbsync(box, kb, "--yes"), "the one-change sync")
            after = box.total()
        return middle - before, after - middle, math.ceil(size / 100) + 5
    finally:
        cleanup(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print("| N | no-op requests | budget ceil(N/100)+5 | one change: extra requests | budget |")
    print("|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        noop, one, budget = measure(size)
        extra = one - noop
        print(f"| {size:,} | {noop} | {budget} | {extra} | 6 |")
        assert noop <= budget, f"no-op sync of {size} files sent {noop} > {budget} requests"
        assert extra <= 6, f"one changed file cost {extra} > 6 extra requests"


if __name__ == "__main__":
    main()
