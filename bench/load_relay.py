"""Chat users through one relay process: no stream dropped, time to first delta, flat memory.

    .venv/bin/python bench/load_relay.py [--users 200] [--seconds 60] [--results bench/RESULTS.md]

Starts a sandbox and one relay (``python -m relay``; ``RATE_LIMIT=off``,
``MAX_CONCURRENT_STREAMS=400``) as subprocesses on loopback, seeds a small KB, then runs
``--users`` simulated chat users for ``--seconds``: each posts a question to
``/api/chat``, reads the SSE stream to ``done``, thinks 0.5–1 s and asks again in the
same conversation (it keeps the token). No user starts a request after the deadline;
every request has a 60 s timeout and the whole run a hard limit, so it always stops by
itself. The relay's RSS is sampled every second from ``/proc``.

A stream counts as dropped when it ends without ``done``: an ``error`` event, a cut
connection, a timeout. A request refused before its stream (any non-200) is counted
apart. The script exits 1 if any stream was dropped or refused. ``--results`` writes
the figures into that Markdown file's "Reliability: relay load" section.

``run_users`` is also the CI smoke test's driver (``tests/reliability/test_load_smoke.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = (
    "How much does a monthly membership cost?",
    "When is the club open at weekends?",
    "Do I need a swimming cap in the pool?",
    "Is there a discount for students?",
    "Can children come to the club?",
    "Are towels free?",
    "When does the pool close?",
    "How much is a single visit?",
)
SECTION = "## Reliability: relay load"
REQUEST_TIMEOUT = 60.0


@dataclass
class LoadResult:
    users: int
    seconds: float
    requests: int = 0
    completed: int = 0
    dropped: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    drop_reasons: Counter[str] = field(default_factory=Counter)
    deltas: int = 0
    ttfd: list[float] = field(default_factory=list)  # seconds, per completed stream
    wall: float = 0.0

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the time to first delta, in ms (nearest rank)."""
        if not self.ttfd:
            return float("nan")
        ordered = sorted(self.ttfd)
        rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


async def _ask(
    client: httpx.AsyncClient, url: str, message: str, token: str | None, result: LoadResult
) -> str | None:
    """One question, read to the end of its stream; the conversation token for the next."""
    body: dict[str, str] = {"message": message}
    if token:
        body["conversation"] = token
    result.requests += 1
    started = time.perf_counter()
    first: float | None = None
    event = ""
    try:
        async with client.stream("POST", url + "/api/chat", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                result.refused[response.status_code] += 1
                return token
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    if event == "conversation":
                        token = data["conversation"]
                    elif event == "delta":
                        result.deltas += 1
                        if first is None:
                            first = time.perf_counter() - started
                    elif event == "done":
                        result.completed += 1
                        if first is not None:
                            result.ttfd.append(first)
                        return token
                    elif event == "error":
                        result.dropped += 1
                        result.drop_reasons[f"error event {data.get('code')}"] += 1
                        return token
    except (httpx.HTTPError, ValueError) as exc:
        result.dropped += 1
        result.drop_reasons[type(exc).__name__] += 1
        return token
    result.dropped += 1
    result.drop_reasons["stream ended without done"] += 1
    return token


async def _user(
    client: httpx.AsyncClient,
    url: str,
    deadline: float,
    think: tuple[float, float],
    result: LoadResult,
    rng: random.Random,
) -> None:
    token: str | None = None
    await asyncio.sleep(rng.uniform(0, think[1]))  # users arrive spread out, not in one burst
    while time.monotonic() < deadline:
        token = await _ask(client, url, rng.choice(QUESTIONS), token, result)
        await asyncio.sleep(rng.uniform(*think))


async def run_users(
    url: str,
    *,
    users: int,
    seconds: float,
    think: tuple[float, float] = (0.5, 1.0),
    seed: int = 7,
) -> LoadResult:
    """``users`` chat users against the relay at ``url`` for ``seconds``; stops by itself."""
    result = LoadResult(users, seconds)
    limits = httpx.Limits(max_connections=users + 8, max_keepalive_connections=users + 8)
    timeout = httpx.Timeout(REQUEST_TIMEOUT, connect=10.0)
    started = time.monotonic()
    deadline = started + seconds
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
        tasks = [
            asyncio.create_task(
                _user(client, url, deadline, think, result, random.Random(seed * 100_003 + n))
            )
            for n in range(users)
        ]
        # The users stop on their own at the deadline; this bounds even a stuck relay.
        _, pending = await asyncio.wait(tasks, timeout=seconds + REQUEST_TIMEOUT + think[1] + 10)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            result.drop_reasons["user still waiting at the hard limit"] += len(pending)
            result.dropped += len(pending)
    result.wall = time.monotonic() - started
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler:
    """Samples a process's RSS once a second on a thread: ``[(seconds since start, KiB)]``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            value = rss_kib(self.pid)
            if value is not None:
                self.samples.append((time.monotonic() - started, value))
            self._stop.wait(1.0)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def at(self, second: float) -> int:
        """The sample nearest to ``second``."""
        return min(self.samples, key=lambda s: abs(s[0] - second))[1]


@dataclass
class Stack:
    relay_url: str
    relay_pid: int
    sandbox_pid: int
    logs: Path


@contextmanager
def stack(work: Path, *, max_streams: int = 400) -> Iterator[Stack]:
    """A sandbox with the test KB seeded, and one relay process on it; logs under ``work``."""
    import openai
    from _relay_stack import seed, write_kb

    from testing.servers import free_port, relay_server, sandbox_server

    api_key = "sk-bench-" + secrets.token_hex(8)
    with sandbox_server(work / "sandbox.log") as box:
        client = openai.OpenAI(api_key=api_key, base_url=box.url + "/v1", max_retries=0)
        seed(client)
        client.close()
        kb = write_kb(work / "kb")
        port = free_port()
        env = {
            "OPENAI_API_KEY": api_key,
            "OPENAI_BASE_URL": box.url + "/v1",
            "KB_DIR": str(kb),
            "RELAY_SECRET": secrets.token_urlsafe(32),
            "RATE_LIMIT": "off",
            "MAX_CONCURRENT_STREAMS": str(max_streams),
            # every simulated user comes from 127.0.0.1: one "client" to the relay
            "MAX_STREAMS_PER_CLIENT": str(max_streams),
            "ALLOWED_ORIGINS": "",
            "REDIS_URL": "",
            "LOG_QUESTIONS": "0",
        }
        # /readyz answers 2xx once the spec is loaded and the vector store found
        with relay_server(
            work / "relay.log", env, port=port, cwd=work, ready_only=True, timeout=30
        ) as relay:
            yield Stack(relay.url, relay.proc.pid, box.proc.pid, work)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({model}), "
        f"{memory:.0f} GB RAM, Python {platform.python_version()}"
    )


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=90, break_on_hyphens=False, break_long_words=False)


def report(
    result: LoadResult, rss: RssSampler, cpu: dict[str, float], *, command: str, load: str
) -> str:
    half, end = result.seconds / 2, result.seconds
    rss_half, rss_end = rss.at(half), rss.at(end)
    peak = max(value for _, value in rss.samples)
    refused = ", ".join(f"{n} × {status}" for status, n in sorted(result.refused.items()))
    reasons = ", ".join(f"{n} × {why}" for why, n in result.drop_reasons.most_common())
    rate = result.completed / result.wall if result.wall else 0.0
    available = result.wall * (os.cpu_count() or 1)
    ours = sum(cpu.values())
    per_stream = cpu["relay"] / result.completed * 1000 if result.completed else float("nan")
    every_10s = ", ".join(
        f"{mark} s {rss.at(mark) / 1024:.1f}" for mark in range(0, int(end) + 1, 10)
    )
    cpu_text = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
    lines = [
        SECTION,
        "",
        _paragraph(
            f"{result.users} simulated chat users for {result.seconds:.0f} s through one relay "
            "process (uvicorn, 1 worker) on the sandbox, all on loopback: each user asks, "
            "reads the SSE stream to `done`, thinks 0.5–1 s and asks again in the same "
            "conversation (it keeps the token). `RATE_LIMIT=off`, "
            "`MAX_CONCURRENT_STREAMS=400`. The load generator (httpx, one asyncio loop), the "
            "relay and the sandbox share the machine. A stream is dropped when it ends "
            "without `done` (error event, cut connection, timeout); the script exits 1 on any."
        ),
        "",
        "Command:",
        "",
        f"    {command}",
        "",
        _paragraph(f"Machine: {machine()}; {load}."),
        "",
        "| figure | value |",
        "|---|---:|",
        f"| requests | {result.requests:,} |",
        f"| streams completed (`done`) | {result.completed:,} ({rate:.1f}/s) |",
        f"| **streams dropped** | **{result.dropped}**{f' ({reasons})' if reasons else ''} |",
        f"| refused before the stream | {sum(result.refused.values())}"
        f"{f' ({refused})' if refused else ''} |",
        f"| deltas received | {result.deltas:,} |",
        f"| time to first delta p50 | {result.percentile(0.50):.0f} ms |",
        f"| time to first delta p95 | {result.percentile(0.95):.0f} ms |",
        f"| time to first delta p99 | {result.percentile(0.99):.0f} ms |",
        f"| relay RSS at {half:.0f} s | {rss_half / 1024:.1f} MB |",
        f"| relay RSS at {end:.0f} s | {rss_end / 1024:.1f} MB |",
        f"| RSS ratio {end:.0f} s / {half:.0f} s | {rss_end / rss_half:.3f} |",
        f"| relay RSS peak | {peak / 1024:.1f} MB |",
        f"| relay CPU per completed stream | {per_stream:.1f} ms |",
        f"| wall time (until the last stream ended) | {result.wall:.1f} s |",
        "",
        _paragraph(f"Relay RSS every 10 s (MB): {every_10s}."),
        "",
        _paragraph(
            f"CPU time during the run: {cpu_text}; {ours:.0f} of the {available:.0f} "
            "CPU-seconds the machine had. Time to first delta is measured from the POST "
            "(a new conversation on a user's first turn included) and counts waiting for a "
            "CPU: the three processes and any other jobs share the same cores, so it is an "
            "upper bound of what the relay adds, not a measure of it."
        ),
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str, heading: str = SECTION) -> None:
    """Replace the section under ``heading`` in ``path`` (or append it), leaving the rest
    alone; ``section`` starts with that heading."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--results", type=Path, help="write the figures into this Markdown file")
    args = parser.parse_args()
    command = ".venv/bin/python bench/load_relay.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="kbsync-load-") as tmp, stack(Path(tmp)) as running:
        load_start = os.getloadavg()[0]
        pids = {"relay": running.relay_pid, "sandbox": running.sandbox_pid, "load": os.getpid()}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        with RssSampler(running.relay_pid) as rss:
            result = asyncio.run(
                run_users(running.relay_url, users=args.users, seconds=args.seconds)
            )
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        load = f"load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    text = report(result, rss, cpu, command=command.strip(), load=load)
    print(text)
    if args.results:
        write_section(args.results, text)
    return 0 if result.dropped == 0 and not result.refused else 1


if __name__ == "__main__":
    sys.exit(main())
