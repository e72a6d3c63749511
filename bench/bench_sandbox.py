"""Sandbox speed over 10,000 small files in one vector store: list pages and searches.

    .venv/bin/python bench/bench_sandbox.py [--files 10000] [--seconds 3]

Starts ``python -m sandbox`` on a free loopback port, uploads ``--files`` small mixed
Russian/English documents (8 threads), attaches them in batches of 2,000 and waits until
processing is done, then measures for ``--seconds`` each:

- ``vs files page``: ``GET /v1/vector_stores/{id}/files?limit=100`` walking every page
  with ``after`` cursors (asc and desc), one keep-alive connection;
- ``files page``: ``GET /v1/files?limit=100`` the same way;
- ``first search``: the first query after processing (shows whether indexing was left
  for the first search to do);
- ``search``: ``POST /v1/vector_stores/{id}/search`` with varied 3-word queries over a
  small vocabulary, so every term matches thousands of chunks (a worst case);
- ``search + filter``: the same with an ``in`` attribute filter.

"median ms" and "p95 ms" are client-side round trips (HTTP + JSON decode included);
"server median ms" is the median of the sandbox's ``x-sandbox-processing-us`` header
(``openai-processing-ms`` in microseconds: from routing to the first response byte).
``in-process page`` times the page builder and JSON encoding alone, without HTTP, on a
``Store`` of the same size.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import msgspec

from testing.servers import sandbox_server

HEADERS = {"Authorization": "Bearer sk-bench"}
_VOCABULARY = """
    club sante pool gym yoga schedule price membership trainer sauna locker towel
    клуб бассейн тренажёрный зал йога расписание цена абонемент тренер сауна шкафчик
    полотенце занятие утро вечер weekend weekday student discount group personal
"""
WORDS = _VOCABULARY.split()


def _document(rng: random.Random, n: int) -> bytes:
    words = [rng.choice(WORDS) for _ in range(rng.randint(40, 120))]
    return f"# Document {n}\n\n{' '.join(words)}\n".encode()


def _setup(client: httpx.Client, files: int) -> tuple[str, list[str]]:
    rng = random.Random(7)
    bodies = [_document(rng, n) for n in range(files)]

    def upload(n: int) -> str:
        response = client.post(
            "/v1/files",
            files={"file": (f"doc{n:05}.md", bodies[n], "text/markdown")},
            data={"purpose": "assistants"},
        )
        response.raise_for_status()
        file_id: str = response.json()["id"]
        return file_id

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(upload, range(files)))
    print(f"uploaded {files} files in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    vs_id: str = client.post("/v1/vector_stores", json={"name": "bench"}).json()["id"]
    started = time.perf_counter()
    for start in range(0, files, 2000):
        chunk = ids[start : start + 2000]
        batch = [{"file_id": f, "attributes": {"n": i % 10}} for i, f in enumerate(chunk)]
        client.post(f"/v1/vector_stores/{vs_id}/file_batches", json={"files": batch})
    while client.get(f"/v1/vector_stores/{vs_id}").json()["file_counts"]["in_progress"]:
        time.sleep(0.05)
    print(f"attached + processed in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return vs_id, ids


Timing = tuple[list[float], list[float]]


def _measure(seconds: float, step: Callable[[], float]) -> Timing:
    """Client round trips and server-side times, in seconds."""
    times: list[float] = []
    server: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or not times:
        started = time.perf_counter()
        server.append(step() / 1000)
        times.append(time.perf_counter() - started)
    return times, server


def _server_ms(response: httpx.Response) -> float:
    response.raise_for_status()
    return float(response.headers["x-sandbox-processing-us"]) / 1000


def _pager(client: httpx.Client, path: str) -> Callable[[], None]:
    state: dict[str, Any] = {"after": None, "order": "asc"}

    def step() -> float:
        params: dict[str, Any] = {"limit": 100, "order": state["order"]}
        if state["after"]:
            params["after"] = state["after"]
        response = client.get(path, params=params)
        body = response.json()
        assert len(body["data"]) == 100 or not body["has_more"], body
        if body["has_more"]:
            state["after"] = body["last_id"]
        else:
            state["after"] = None
            state["order"] = "desc" if state["order"] == "asc" else "asc"
        return _server_ms(response)

    return step


def _searcher(client: httpx.Client, vs_id: str, filtered: bool) -> Callable[[], None]:
    rng = random.Random(3)

    def step() -> float:
        body: dict[str, Any] = {"query": " ".join(rng.sample(WORDS, 3)), "max_num_results": 10}
        if filtered:
            body["filters"] = {"type": "in", "key": "n", "value": [1, 2, 3]}
        return _server_ms(client.post(f"/v1/vector_stores/{vs_id}/search", json=body))

    return step


def _in_process_page(files: int) -> Timing:
    from sandbox._pagination import list_query, page
    from sandbox._state import Store

    store = Store()
    objs = store.vs_files.setdefault("vs_1", {})
    for n in range(files):
        objs[f"file-{n:024x}"] = {
            "id": f"file-{n:024x}", "object": "vector_store.file", "usage_bytes": 300,
            "created_at": 1_800_000_000, "vector_store_id": "vs_1", "status": "completed",
            "last_error": None, "attributes": {"kb_path": f"doc{n}.md", "kb_sha256": "0" * 64},
            "chunking_strategy": {"type": "static", "static": {
                "max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}},
        }  # fmt: skip
    index = store.order("vs:vs_1", objs)
    ids = list(objs)
    encoder = msgspec.json.Encoder()
    rng = random.Random(1)

    def step() -> float:
        started = time.perf_counter()
        after = ids[rng.randrange(files - 100)]
        query = list_query({"limit": "100", "after": after})
        encoder.encode(page(index, objs.get, query))
        return (time.perf_counter() - started) * 1000

    step()
    return _measure(1.0, step)


def _row(name: str, timing: Timing) -> str:
    times, server = timing
    median = statistics.median(times) * 1000
    p95 = sorted(times)[int(len(times) * 0.95)] * 1000
    server_median = statistics.median(server) * 1000
    rate = len(times) / sum(times)
    return (
        f"| {name} | {len(times)} | {rate:,.0f} | {median:.2f} | {p95:.2f} | {server_median:.2f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox_server(Path(tmp) / "sandbox.log") as box,
        httpx.Client(base_url=box.url, headers=HEADERS, timeout=60) as client,
    ):
        vs_id, _ = _setup(client, args.files)
        search, filtered = _searcher(client, vs_id, False), _searcher(client, vs_id, True)
        first = _measure(0, search)  # finishes the index if processing just ended
        vs_pages = _pager(client, f"/v1/vector_stores/{vs_id}/files")
        rows = [
            _row("vs files page (limit=100)", _measure(args.seconds, vs_pages)),
            _row("files page (limit=100)", _measure(args.seconds, _pager(client, "/v1/files"))),
            _row("first search", first),
            _row("search (top 10)", _measure(args.seconds, search)),
            _row("search + `in` filter", _measure(args.seconds, filtered)),
        ]
    rows.append(_row("in-process page + JSON encode", _in_process_page(args.files)))
    cpu = platform.processor() or platform.machine()
    system = f"{platform.system()} {platform.release()}"
    print(f"\n{args.files:,} files in one vector store; {os.cpu_count()} CPUs ({cpu}),")
    print(f"Python {platform.python_version()}, {system}\n")
    print("| operation | requests | per second | median ms | p95 ms | server median ms |")
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
