"""API requests sent by a no-op sync, by a sync of one changed file, and by the plan after a
file was deleted by hand (through the API, as the dashboard does).

    .venv/bin/python bench/bench_sync_requests.py [--sizes 1000 10000]

For each N: starts a private sandbox, makes N small documents under bench/_work/,
syncs them once, then counts (through ``GET /_sandbox/stats``) the requests of

- a no-op ``kbsync --yes``: the stamp fast path (budget: 3, whatever N);
- the same with ``--refresh`` (the full listing, for comparison);
- a ``kbsync --yes`` after one document changed: a changed KB needs the full listing
  (budget: ceil(N/100) + 13);
- a ``kbsync --dry-run --json`` after one vector-store file was deleted through the API:
  the store's ``file_counts`` no longer match, so the full path finds it without
  ``--refresh`` (checked: the plan creates the missing document).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass

from _sync_bench import cleanup, kbsync, machine, make_kb, must, sandbox

from testing.sandbox import Sandbox

NOOP_BUDGET = 3


@dataclass(frozen=True)
class Counts:
    noop: int
    refresh: int
    one_change: int
    dashboard: int

    def budget(self, size: int) -> int:
        return math.ceil(size / 100) + 13


def counted(box: Sandbox, run: object) -> int:
    before = box.total()
    assert callable(run)
    run()
    return box.total() - before


def measure(size: int) -> Counts:
    name = f"requests-{size}"
    kb = make_kb(name, size)
    try:
        with sandbox() as box:
            must(kbsync(box, kb, "--yes", "--concurrency", "16"), "the first sync")

            def noop() -> None:
                done = must(kbsync(box, kb, "--yes"), "the no-op sync")
                assert "No changes" in done.stdout, done.stdout

            def refresh() -> None:
                done = must(kbsync(box, kb, "--yes", "--refresh"), "the --refresh sync")
                assert "No changes" in done.stdout, done.stdout

            def one_change() -> None:
                (kb / "files" / "part00" / "doc00000.md").write_text("# Document 0\n\nChanged.\n")
                must(kbsync(box, kb, "--yes"), "the one-change sync")

            noop_requests = counted(box, noop)
            refresh_requests = counted(box, refresh)
            change_requests = counted(box, one_change)

            store = box.call("GET", "/v1/vector_stores?limit=1")["data"][0]["id"]
            victim = box.call("GET", f"/v1/vector_stores/{store}/files?limit=1")["data"][0]
            box.call("DELETE", f"/v1/vector_stores/{store}/files/{victim['id']}")

            def dashboard() -> None:
                plan = json.loads(must(kbsync(box, kb, "--dry-run", "--json"), "the plan").stdout)
                missing = victim["attributes"]["kb_path"]
                assert [(c["action"], c["path"]) for c in plan["changes"]] == [
                    ("create", missing)
                ], plan["changes"]

            dashboard_requests = counted(box, dashboard)
        return Counts(noop_requests, refresh_requests, change_requests, dashboard_requests)
    finally:
        cleanup(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(
        "| N | no-op | budget | no-op --refresh | one change | budget ceil(N/100)+13 "
        "| file deleted by hand, plan without --refresh |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        got = measure(size)
        print(
            f"| {size:,} | {got.noop} | {NOOP_BUDGET} | {got.refresh} | {got.one_change} "
            f"| {got.budget(size)} | {got.dashboard} (found) |"
        )
        assert got.noop <= NOOP_BUDGET, f"no-op sync of {size} files sent {got.noop} requests"
        assert got.one_change <= got.budget(size), (
            f"one changed file of {size} cost {got.one_change} > {got.budget(size)} requests"
        )


if __name__ == "__main__":
    main()
