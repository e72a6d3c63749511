"""Hashing throughput: kbsync's hasher (1 worker, all cores) against ``sha256sum``, one run.

    .venv/bin/python bench/bench_hash.py [--mb 256] [--repeat 3]

Generates the files once under ``bench/_work/hash/`` (git-ignored): half UTF-8 text
(``.txt``, checked for encoding as ``load_kb`` does), half random bytes (``.pdf``),
in a mix of large and small files; then 10,000 small Markdown documents through
``load_kb`` (the whole load, as ``kbsync`` runs it). Every figure is from a warm page cache (the
files are read once first) and the best of ``--repeat`` interleaved rounds, so the comparison
is the hashing itself, not the disk.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kbcore._hashing import HashJob, hash_files
from kbcore.kb import load_kb

WORK = Path(__file__).resolve().parent / "_work" / "hash"
WORDS = ("the", "knowledge", "base", "club", "santé", "здоровье", "расписание", "2026", "hours")


def generate(total_mb: int) -> list[Path]:
    """Half the bytes in 8 large files, half in small ones (64 kB – 1 MB)."""
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    sizes = [total_mb * 1024 * 1024 // 16] * 8
    small_total = total_mb * 1024 * 1024 // 2
    while small_total > 0:
        size = min(small_total, rng.randint(64 * 1024, 1024 * 1024))
        sizes.append(size)
        small_total -= size
    text_block = " ".join(rng.choice(WORDS) for _ in range(200_000)).encode()
    paths = []
    for index, size in enumerate(sizes):
        text = index % 2 == 0
        path = WORK / f"f{index:04}.{'txt' if text else 'pdf'}"
        paths.append(path)
        if path.exists() and path.stat().st_size == size:
            continue
        with open(path, "wb") as out:
            left = size
            while left:
                piece = (
                    text_block[: min(left, len(text_block))]
                    if text
                    else os.urandom(min(left, 1 << 20))
                )
                out.write(piece)
                left -= len(piece)
    return paths


def generate_small(count: int) -> Path:
    """``count`` Markdown documents of 1–8 kB in 100 folders, as a ``kb/`` folder."""
    kb = WORK.parent / f"hash-small-{count}" / "kb"
    if not (kb / "instructions.md").exists():
        rng = random.Random(11)
        for index in range(count):
            folder = kb / "files" / f"section{index % 100:02}"
            folder.mkdir(parents=True, exist_ok=True)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(100, 800)))
            (folder / f"doc{index:05}.md").write_text(f"# Document {index}\n\n{words}\n")
        (kb / "instructions.md").write_text("Answer from the documents.\n")
    return kb


def best_interleaved(
    repeat: int, runs: list[tuple[str, Callable[[], object]]]
) -> list[tuple[str, float]]:
    """Best time of each run over ``repeat`` rounds; each round runs every one in turn,
    so that a change in the machine's load touches them all alike."""
    best = [float("inf")] * len(runs)
    for _ in range(repeat):
        for index, (_, run) in enumerate(runs):
            start = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - start)
    return [(name, seconds) for (name, _), seconds in zip(runs, best, strict=True)]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=256, help="total size to hash (default 256)")
    parser.add_argument("--small", type=int, default=10_000, help="small documents for load_kb")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best counts")
    args = parser.parse_args()
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        sys.exit("sha256sum is not on PATH; install coreutils to compare against it.")

    paths = generate(args.mb)
    total = sum(p.stat().st_size for p in paths)
    for path in paths:  # warm the page cache
        path.read_bytes()
    cores = os.cpu_count() or 1
    plain = [HashJob(p, size_hint=p.stat().st_size) for p in paths]
    checked = [HashJob(p, p.suffix == ".txt", p.stat().st_size) for p in paths]

    def reference() -> None:
        subprocess.run([sha256sum, *map(str, paths)], check=True, stdout=subprocess.DEVNULL)

    runs: list[tuple[str, Callable[[], object]]] = [
        ("sha256sum (one process)", reference),
        ("kbsync, 1 worker", lambda: hash_files(plain, workers=1)),
        (f"kbsync, {cores} workers", lambda: hash_files(plain, workers=cores)),
        ("kbsync + text check, 1 worker", lambda: hash_files(checked, workers=1)),
        (f"kbsync + text check, {cores} workers", lambda: hash_files(checked, workers=cores)),
    ]
    figures = best_interleaved(args.repeat, runs)
    base = figures[0][1]
    mb = total / 1e6
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cores} cores, {cpu_model()}, Python {platform.python_version()}")
    print(f"load average (1 min) at the end: {load:.2f}")
    print(
        f"data: {len(paths)} files, {mb:.0f} MB (half UTF-8 text),"
        f" warm cache, best of {args.repeat}"
    )
    print()
    print("| hasher | seconds | MB/s | × sha256sum |")
    print("|---|---:|---:|---:|")
    for name, seconds in figures:
        print(f"| {name} | {seconds:.3f} | {mb / seconds:.0f} | {base / seconds:.2f} |")

    kb = generate_small(args.small)
    print()
    print(f"load_kb over {args.small:,} small documents (walk, checks, hash, text check):")
    print()
    print("| workers | seconds | files/s |")
    print("|---:|---:|---:|")
    small_runs: list[tuple[str, Callable[[], object]]] = [
        (str(workers), lambda w=workers: load_kb(kb, workers=w))  # type: ignore[misc]
        for workers in (1, cores)
    ]
    for workers_text, seconds in best_interleaved(args.repeat, small_runs):
        print(f"| {workers_text} | {seconds:.3f} | {args.small / seconds:,.0f} |")


if __name__ == "__main__":
    main()
