"""Peak RSS of a no-op plan over 10,000 files (target ≤ 150 MB).

    .venv/bin/python bench/bench_rss.py [--files 10000]

Starts a private sandbox, makes the documents under bench/_work/, syncs them once, then
runs ``kbsync --dry-run`` as its own process and reads that process's peak RSS
(``ru_maxrss`` from ``wait4``). For scale, the same figure for a process that only
imports the CLI's modules is shown too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _sync_bench import ROOT, cleanup, kbsync, machine, make_kb, must, sandbox


def baseline_mb() -> float:
    code = "import sync._run, kbsync._watch"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    name = "rss"
    kb = make_kb(name, args.files)
    try:
        with sandbox() as box:
            must(kbsync(box, kb, "--yes", "--concurrency", "16"), "the first sync")
            run = must(kbsync(box, kb, "--dry-run"), "the no-op plan")
            assert "No changes" in run.stdout, run.stdout
    finally:
        cleanup(name)
    imports = baseline_mb()
    print(f"| no-op plan over {args.files:,} files | peak RSS |")
    print("|---|---:|")
    print(f"| kbsync --dry-run | {run.max_rss_mb:.0f} MB ({run.seconds:.1f} s) |")
    print(f"| imports alone | {imports:.0f} MB |")
    assert run.max_rss_mb <= 150, f"peak RSS {run.max_rss_mb:.0f} MB > 150 MB"


if __name__ == "__main__":
    main()
