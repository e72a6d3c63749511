"""``kbsync preview`` for a one-document pull request on a 1,000-document KB.

    .venv/bin/python bench/bench_preview.py [--size 1000]

Starts a private sandbox, syncs N small documents as the main store, copies the KB (the
pull request's checkout) and changes one document, then measures, each as its own
``kbsync`` process: the first ``kbsync preview --pr 1`` (a new preview store: one upload,
N - 1 of the main store's Files attached), a re-run with nothing pushed (the stamp fast
path), a re-run after a push that changes one more document, and ``--delete``. Requests
are counted per route through ``GET /_sandbox/stats``.
"""

from __future__ import annotations

import argparse
import shutil
from collections import Counter

from _sync_bench import (
    WORK,
    Run,
    cleanup,
    kbsync,
    kbsync_argv,
    machine,
    make_kb,
    must,
    sandbox,
)

from testing.sandbox import Sandbox, stats

UPLOADS = "POST /v1/files"


def counted(box: Sandbox, argv: list[str], what: str) -> tuple[Run, Counter[str]]:
    before = Counter(stats(box)["requests"])
    run = must(kbsync_argv(box, *argv), what)
    after = Counter(stats(box)["requests"])
    return run, after - before


def row(label: str, run: Run, requests: Counter[str]) -> str:
    return (
        f"| {label} | {run.seconds:.2f} | {sum(requests.values())} | {requests[UPLOADS]} "
        f"| {run.max_rss_mb:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    name = "preview-bench"
    main_kb = make_kb(name, args.size)
    pr_kb = WORK / name / "pr" / "kb"
    try:
        with sandbox() as box:
            must(kbsync(box, main_kb, "--yes", "--concurrency", "16"), "the main sync")
            shutil.copytree(main_kb, pr_kb)
            (pr_kb / "files" / "part00" / "doc00001.md").write_text("# Document 1\n\nPR.\n")
            preview = ["preview", "--kb", str(pr_kb), "--pr", "1"]
            rows = []
            first, first_requests = counted(box, preview, "the first preview")
            rows.append(row("first `kbsync preview` (new store)", first, first_requests))
            again, again_requests = counted(box, preview, "the re-run")
            rows.append(row("re-run, nothing pushed", again, again_requests))
            (pr_kb / "files" / "part00" / "doc00002.md").write_text("# Document 2\n\nPush.\n")
            pushed, pushed_requests = counted(box, preview, "the re-run after a push")
            rows.append(row("re-run after a push (1 more document)", pushed, pushed_requests))
            gone, gone_requests = counted(box, [*preview, "--delete"], "the delete")
            rows.append(row("`--delete`", gone, gone_requests))
    finally:
        cleanup(name)
    print(f"machine: {machine()}")
    print(f"KB: {args.size:,} documents; the pull request changes one of them")
    print("| run | seconds | requests | uploads | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    print("first preview, requests by route:")
    for route, count in sorted(first_requests.items()):
        print(f"  {count:5}  {route}")
    assert first_requests[UPLOADS] == 1, first_requests
    assert again_requests[UPLOADS] == 0, again_requests
    assert sum(again_requests.values()) <= 3, again_requests
    assert pushed_requests[UPLOADS] == 1, pushed_requests


if __name__ == "__main__":
    main()
