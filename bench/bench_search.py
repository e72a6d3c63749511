"""Retrieval quality of the sandbox's search on the example KB's golden questions.

    .venv/bin/python bench/bench_search.py [--kb kb] [--analyzer snowball --analyzer light]

For each analyzer (``sandbox/_analyzers.py``; both by default, side by side in one run):
starts a fresh sandbox (``testing.servers.sandbox_server``) with ``SANDBOX_ANALYZER`` set,
syncs the KB into it as CI does (``python -m kbsync --kb KB --yes`` with
``OPENAI_BASE_URL`` pointing at it), then asks every question of ``KB/evals.yaml``
through ``vector_stores.search`` with the KB's ``max_num_results`` and
``rewrite_query`` on, and maps each hit to its document by the ``kb_path`` attribute.

Per question, the rank is the position of the first expected document among the
distinct documents returned (1 = first), or none. Reported: hit@5 (the share of
questions with rank ≤ 5), hit@k (each question's own ``k``, default 5), MRR (mean of
1/rank, 0 when not found), and the questions whose rank differs between analyzers.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import yaml

from kbcore.kb import load_spec
from kbcore.wire import KB_PATH
from testing.servers import ROOT, sandbox_server

API_KEY = "sk-bench-search-0123456789"
DEFAULT_K = 5


@dataclass(frozen=True)
class Case:
    q: str
    expect: tuple[str, ...]
    k: int


@dataclass(frozen=True)
class Outcome:
    case: Case
    found: tuple[str, ...]  # distinct documents, best first
    rank: int | None


def load_cases(kb: Path) -> list[Case]:
    entries: Any = yaml.safe_load((kb / "evals.yaml").read_text(encoding="utf-8"))
    return [
        Case(str(entry["q"]), tuple(entry["expect"]), int(entry.get("k", DEFAULT_K)))
        for entry in entries
    ]


def _sync(kb: Path, base_url: str, log: Path) -> None:
    env = {**os.environ, "OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": API_KEY, "CI": "true"}
    with log.open("wb") as sink:
        done = subprocess.run(
            [sys.executable, "-m", "kbsync", "--kb", str(kb), "--yes"],
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"kbsync exited {done.returncode}; see {log}")


def _rank(found: tuple[str, ...], expect: tuple[str, ...]) -> int | None:
    for position, path in enumerate(found, start=1):
        if path in expect:
            return position
    return None


def run(analyzer: str, kb: Path, cases: list[Case], work: Path) -> tuple[list[Outcome], float]:
    """The outcome of every case on a fresh sandbox using ``analyzer``; and the seconds
    the questions took."""
    os.environ["SANDBOX_ANALYZER"] = analyzer  # inherited by the sandbox process
    try:
        with sandbox_server(work / f"sandbox-{analyzer}.log") as server:
            base_url = server.url + "/v1"
            _sync(kb, base_url, work / f"kbsync-{analyzer}.log")
            client = openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0)
            stores = client.vector_stores.list().data
            if len(stores) != 1:
                raise SystemExit(f"expected one vector store after the sync, found {len(stores)}")
            limit = load_spec(kb).max_num_results or 20
            outcomes = []
            started = time.perf_counter()
            for case in cases:
                page = client.vector_stores.search(
                    stores[0].id, query=case.q, max_num_results=limit, rewrite_query=True
                )
                found: list[str] = []
                for hit in page.data:
                    path = str((hit.attributes or {}).get(KB_PATH, ""))
                    if path and path not in found:
                        found.append(path)
                outcomes.append(Outcome(case, tuple(found), _rank(tuple(found), case.expect)))
            elapsed = time.perf_counter() - started
            client.close()
    finally:
        os.environ.pop("SANDBOX_ANALYZER", None)
    return outcomes, elapsed


def _figures(outcomes: list[Outcome]) -> tuple[int, int, float]:
    hit5 = sum(1 for o in outcomes if o.rank is not None and o.rank <= DEFAULT_K)
    hitk = sum(1 for o in outcomes if o.rank is not None and o.rank <= o.case.k)
    mrr = sum(1 / o.rank for o in outcomes if o.rank is not None) / len(outcomes)
    return hit5, hitk, mrr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=ROOT / "kb")
    parser.add_argument(
        "--analyzer", action="append", choices=["snowball", "light"], dest="analyzers"
    )
    args = parser.parse_args()
    analyzers: list[str] = args.analyzers or ["light", "snowball"]
    kb: Path = args.kb.resolve()
    cases = load_cases(kb)
    print(f"# {len(cases)} questions from {kb / 'evals.yaml'}")
    machine = f"{platform.machine()}, nproc {os.cpu_count()}"
    print(f"# machine: {machine}, Python {platform.python_version()}")
    results: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        for analyzer in analyzers:
            results[analyzer], elapsed = run(analyzer, kb, cases, Path(tmp))
            print(f"# {analyzer}: {len(cases)} searches in {elapsed:.2f} s")
    n = len(cases)
    print()
    print("| analyzer | hit@5 | hit@k | MRR |")
    print("|---|---:|---:|---:|")
    for analyzer, outcomes in results.items():
        hit5, hitk, mrr = _figures(outcomes)
        print(f"| {analyzer} | {hit5}/{n} ({hit5 / n:.0%}) | {hitk}/{n} | {mrr:.3f} |")
    print()
    header = " | ".join(analyzers)
    print(f"| question | expected | {header} |")
    print("|---|---|" + "---:|" * len(analyzers))
    for i, case in enumerate(cases):
        ranks = [results[a][i].rank for a in analyzers]
        marks = " | ".join("–" if r is None else str(r) for r in ranks)
        first = results[analyzers[-1]][i].found[:1]
        note = "" if ranks[-1] == 1 else f" (first: {first[0] if first else 'nothing'})"
        print(f"| {case.q} | {', '.join(case.expect)}{note} | {marks} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
