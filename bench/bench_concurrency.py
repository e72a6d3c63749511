"""Wall time of syncing 1,000 new small files at 50 ms latency: default concurrency vs 1.

    .venv/bin/python bench/bench_concurrency.py [--files 1000] [--latency-ms 50]

Starts a private sandbox with ``latency_ms`` on every ``/v1`` request, then times two
``kbsync --yes`` processes (start-up, hashing and planning included) into fresh stores:
one with the default ``--concurrency`` (8), one with ``--concurrency 1``. Target: ≥ 6×.
"""

from __future__ import annotations

import argparse

from _sync_bench import cleanup, kbsync, machine, make_kb, must, sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    times: dict[str, float] = {}
    try:
        with sandbox() as box:
            box.faults(latency_ms=args.latency_ms)
            for label, extra in (("default (8)", []), ("--concurrency 1", ["--concurrency", "1"])):
                name = "concurrency-" + ("default" if not extra else "one")
                kb = make_kb(name, args.files)
                run = must(kbsync(box, kb, "--yes", *extra), label)
                times[label] = run.seconds
                cleanup(name)
    finally:
        cleanup("concurrency-default")
        cleanup("concurrency-one")
    ratio = times["--concurrency 1"] / times["default (8)"]
    print(f"| {args.files:,} new files, latency {args.latency_ms} ms | wall time |")
    print("|---|---:|")
    for label, seconds in times.items():
        print(f"| {label} | {seconds:.1f} s |")
    print(f"| ratio | {ratio:.1f}× |")
    assert ratio >= 6, f"default concurrency is only {ratio:.1f}× faster (target 6×)"


if __name__ == "__main__":
    main()
