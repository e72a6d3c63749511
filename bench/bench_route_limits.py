"""The first sync of a large KB under the API's per-route limits, in one run.

    .venv/bin/python bench/bench_route_limits.py [--size 10000] [--scale 10]

Starts a private sandbox and syncs N small documents into a new store twice, each as
its own ``kbsync --yes`` process: once with no limits, once with the sandbox enforcing
the live API's per-route limits (uploads 1,000 per key and attaches 300 per store per
minute, answered with a bare 429: no ``retry-after``). ``--scale`` compresses the
minute (10: a 6-second window with the same counts), so that the run takes minutes,
not hours; the pacing sees only 429s either way. Prints the wall times, the floor the
upload limit sets (``(ceil(N / 1000) - 1)`` windows), the 429s spent, and checks that
the limited run completed: every document in the store, the stamp written.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter

from _sync_bench import Run, cleanup, kbsync, machine, make_kb, must, sandbox

from testing.sandbox import Sandbox, set_faults, stats

UPLOADS = "POST /v1/files"
ATTACHES = "POST /v1/vector_stores/{vector_store_id}/file_batches"


def synced(box: Sandbox, name: str, size: int) -> tuple[Run, Counter[str]]:
    kb = make_kb(name, size)
    try:
        before = Counter(stats(box)["requests"])
        run = must(kbsync(box, kb, "--yes", "--concurrency", "16"), f"the sync of {name}")
        after = Counter(stats(box)["requests"])
        store_id = box.store_id(name)
        assert store_id is not None, f"{name}: no store"
        files = box.store_files(store_id)
        assert len(files) == size, f"{name}: {len(files)} of {size} files in the store"
        assert all(f["status"] == "completed" for f in files), f"{name}: not all completed"
        return run, after - before
    finally:
        cleanup(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    window_ms = 60_000 // args.scale
    print(f"machine: {machine()}")
    with sandbox() as box:
        free, free_requests = synced(box, "limits-free", args.size)
        set_faults(box, route_limits={"uploads": 1000, "attaches": 300, "window_ms": window_ms})
        limited, limited_requests = synced(box, "limits-on", args.size)
        set_faults(box)
    floor = (math.ceil(args.size / 1000) - 1) * window_ms / 1000
    refused = limited_requests[UPLOADS] - args.size
    print(
        f"KB: {args.size:,} documents; limits: 1,000 uploads and 300 attaches per "
        f"{window_ms / 1000:g} s window (the minute / {args.scale})"
    )
    print("| run | seconds | uploads sent | bare 429s on uploads | attach requests |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| no limits | {free.seconds:.1f} | {free_requests[UPLOADS]} | 0 "
        f"| {free_requests[ATTACHES]} |"
    )
    print(
        f"| route limits on | {limited.seconds:.1f} | {limited_requests[UPLOADS]} "
        f"| {refused} | {limited_requests[ATTACHES]} |"
    )
    print(
        f"floor set by the upload limit: {floor:.1f} s; limited / floor = "
        f"{limited.seconds / floor:.2f}; limited / no limits = "
        f"{limited.seconds / free.seconds:.2f}"
    )
    print(f"at the live minute: floor {floor * args.scale / 60:.1f} min")


if __name__ == "__main__":
    main()
