"""The relay against a bare proxy: added time to first delta, 1,000 open streams, throughput.

    .venv/bin/python bench/bench_relay.py [--relay LABEL=REV ...] [--requests 200]
        [--streams 1000] [--seconds 10] [--profile FILE] [--results bench/RESULTS.md]

All in one run, on loopback, everything a subprocess:

1. **Added time to first delta** (TTFD; sandbox ``token_delay_ms`` 0). Every target gets
   the same question on a conversation of its own that already holds one turn: each
   relay (``--relay``, default ``now=.``, the working tree; ``REV`` is any git revision,
   checked out to a temporary worktree), nginx in front of the sandbox and the sandbox
   directly. nginx and direct send exactly the body the relay sent upstream (taken from
   ``/_sandbox/requests``) with their own conversation. Rounds are interleaved, targets
   shuffled per round. "Added" is a target's median (p99) minus direct's median (p99).
2. **Open streams** (``token_delay_ms`` 200): ``--streams`` simultaneous new chats
   through each relay; all must end with ``done``; RSS growth of the relay process per
   open stream (peak during the run minus idle, over the number of streams); p99 TTFD.
3. **Throughput**: a minimal upstream (``bench/_replay.py``) replays one pre-rendered
   Responses stream (the sandbox's own, its deltas repeated); 32 clients loop for
   ``--seconds`` through each relay and through nginx. Deltas per second forwarded and
   the server process's CPU microseconds per delta.

``--profile FILE`` runs py-spy on the last relay during phase 3 (``--profile-phase ttfd``:
phase 1) and writes the collapsed
stacks to FILE (``bench/profile_summary.py FILE`` sums them per function). ``--results``
writes the figures into that Markdown file's "Relay: added latency, open streams,
throughput" section.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _relay_stack as stack
from load_relay import cpu_seconds, machine, rss_kib, write_section

from testing.sandbox import requests_log, set_faults
from testing.servers import Server, free_port, run_server, sandbox_server

ROOT = Path(__file__).resolve().parent.parent

SECTION = "## Relay: added latency, open streams, throughput"
API_KEY = "sk-bench-" + secrets.token_hex(8)
RELAY_DELTA = b"event: delta"
RELAY_DONE = b"event: done"
UPSTREAM_DELTA = b"event: response.output_text.delta"
UPSTREAM_DONE = b"event: response.completed"


# --- a raw HTTP/1.1 client: the same few lines for every target ---------------------------


def request_bytes(port: int, path: str, body: bytes, *, auth: bool) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        + (f"Authorization: Bearer {API_KEY}\r\n" if auth else "")
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class Exchange:
    ttfd: float | None = None  # seconds from connect to the first delta
    deltas: int = 0
    done: bool = False
    status: int = 0
    head: bytes = b""


async def exchange(port: int, request: bytes, delta: bytes, done: bytes) -> Exchange:
    result = Exchange()
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        tail = b""
        while chunk := await reader.read(65536):
            window = tail + chunk  # a marker may straddle two reads
            if result.ttfd is None and delta in window:
                result.ttfd = time.perf_counter() - started
            result.deltas += window.count(delta)
            if not result.done and done in window:
                result.done = True
            if len(result.head) < 4096:
                result.head += chunk[: 4096 - len(result.head)]
                result.status = int(result.head[9:12]) if result.head[:9] == b"HTTP/1.1 " else 0
            tail = window[-(len(delta) - 1) :]
    finally:
        writer.close()
    return result


# --- phase 1: added time to first delta ------------------------------------------------------


@dataclass
class Target:
    label: str
    port: int
    path: str
    delta: bytes
    done: bytes
    auth: bool
    conversations: list[str] = field(default_factory=list)  # tokens, or conversation ids
    ttfd: list[float] = field(default_factory=list)

    def body(self, upstream_body: dict[str, Any], conversation: str) -> bytes:
        if self.path == "/api/chat":
            return json.dumps({"message": stack.QUESTION, "conversation": conversation}).encode()
        return json.dumps({**upstream_body, "conversation": conversation}).encode()


def first_turn(relay: Server, box: Server) -> tuple[str, str, dict[str, Any]]:
    """One chat through ``relay``: its token, the conversation id and the upstream body."""
    import httpx

    response = httpx.post(
        relay.url + "/api/chat", json={"message": stack.QUESTION}, timeout=60, trust_env=False
    )
    match = re.search(r'"conversation":\s*"([^"]+)"', response.text)
    if response.status_code != 200 or match is None or "event: done" not in response.text:
        raise SystemExit(f"a warm-up chat failed: {response.status_code} {response.text[:300]}")
    sent = requests_log(box, 1)[-1]
    body = sent["body"]
    return match.group(1), body["conversation"], body


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


async def measure_ttfd(targets: list[Target], body: dict[str, Any], rounds: int) -> None:
    rng = random.Random(7)
    for round_ in range(rounds):
        order = targets[:]
        rng.shuffle(order)
        for target in order:
            request = request_bytes(
                target.port,
                target.path,
                target.body(body, target.conversations[round_]),
                auth=target.auth,
            )
            result = await exchange(target.port, request, target.delta, target.done)
            if result.ttfd is None or not result.done:
                raise SystemExit(f"{target.label}: no answer: {result.head!r}")
            target.ttfd.append(result.ttfd)


# --- phase 2: many open streams --------------------------------------------------------------


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid) or 0)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Streams:
    label: str
    count: int
    completed: int
    deltas_each: float
    idle_kib: int
    peak_kib: int
    ttfd_p50: float
    ttfd_p99: float
    wall: float
    failures: Counter[str]

    @property
    def kib_per_stream(self) -> float:
        return (self.peak_kib - self.idle_kib) / self.count


async def open_streams(
    label: str, relay: Server, count: int, question: str = stack.QUESTION
) -> Streams:
    request = request_bytes(
        relay.port, "/api/chat", json.dumps({"message": question}).encode(), auth=False
    )
    idle = rss_kib(relay.proc.pid) or 0
    started = time.perf_counter()
    with PeakRss(relay.proc.pid) as rss:
        results = await asyncio.gather(
            *(exchange(relay.port, request, RELAY_DELTA, RELAY_DONE) for _ in range(count)),
            return_exceptions=True,
        )
    wall = time.perf_counter() - started
    done = [r for r in results if isinstance(r, Exchange) and r.done]
    failures: Counter[str] = Counter()
    for r in results:
        if isinstance(r, BaseException):
            failures[type(r).__name__] += 1
        elif not r.done:
            error = re.search(rb'event: error\ndata: \{"code":"([^"]+)"', r.head)
            failures[error.group(1).decode() if error else f"status {r.status}"] += 1
    ttfd = [r.ttfd for r in done if r.ttfd is not None]
    return Streams(
        label,
        count,
        len(done),
        statistics.mean(r.deltas for r in done) if done else 0.0,
        idle,
        rss.peak,
        percentile(ttfd, 0.5) if ttfd else float("nan"),
        percentile(ttfd, 0.99) if ttfd else float("nan"),
        wall,
        failures,
    )


# --- phase 3: throughput against a replayed upstream -----------------------------------------


@dataclass
class Throughput:
    label: str
    deltas: int
    seconds: float
    cpu: float  # seconds of the server process(es)

    @property
    def per_second(self) -> float:
        return self.deltas / self.seconds

    @property
    def cpu_us_per_delta(self) -> float:
        return self.cpu / self.deltas * 1e6


def process_tree_cpu(pid: int) -> float:
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += cpu_seconds(int(child))
    return total


async def saturate(
    label: str, server: Server, request: bytes, delta: bytes, done: bytes, seconds: float
) -> Throughput:
    deadline = time.monotonic() + seconds
    count = 0

    async def client() -> None:
        nonlocal count
        ask = request
        while time.monotonic() < deadline:
            result = await exchange(server.port, ask, delta, done)
            if not result.done:
                raise SystemExit(f"{label}: a stream ended without its last event")
            count += result.deltas
            if ask is request and (token := _token(result.head)):
                ask = with_token(request, token)  # the next turns of this conversation

    cpu_before = process_tree_cpu(server.proc.pid)
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(32)))
    elapsed = time.perf_counter() - started
    return Throughput(label, count, elapsed, process_tree_cpu(server.proc.pid) - cpu_before)


def _token(head: bytes) -> str | None:
    match = re.search(rb'"conversation":\s*"([^"]+)"', head)
    return match.group(1).decode() if match and b"event: conversation" in head else None


def with_token(request: bytes, token: str) -> bytes:
    head, _, body = request.partition(b"\r\n\r\n")
    data = {**json.loads(body), "conversation": token}
    new = json.dumps(data).encode()
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(new), head)
    return head + b"\r\n\r\n" + new


def render_stream(raw: bytes, repeat: int) -> bytes:
    """The sandbox's stream with every delta event repeated: a long answer, same shape."""
    events = raw.split(b"\n\n")
    out: list[bytes] = []
    for event in events:
        if not event.strip():
            continue
        copies = repeat if event.startswith(UPSTREAM_DELTA) else 1
        out.extend([event] * copies)
    return b"\n\n".join(out) + b"\n\n"


# --- the run -----------------------------------------------------------------------------------


def relay_env(kb: Path, base_url: str, **extra: str) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": base_url,
        "KB_DIR": str(kb),
        "RELAY_SECRET": "bench-" + "s" * 40,
        "RATE_LIMIT": "off",
        "MAX_CONCURRENT_STREAMS": "5000",
        "MAX_STREAMS_PER_CLIENT": "5000",
        "ALLOWED_ORIGINS": "",
        "REDIS_URL": "",
        "VECTOR_STORE_ID": "",
        **extra,
    }


@contextmanager
def relays(
    labels: dict[str, Path], work: Path, env: dict[str, str], tag: str
) -> Iterator[dict[str, Server]]:
    with ExitStack() as running:
        yield {
            label: running.enter_context(
                stack.relay(source, work / f"relay-{tag}-{label}.log", env, cwd=work)
            )
            for label, source in labels.items()
        }


@contextmanager
def profiling(pid: int, out: Path | None) -> Iterator[None]:
    if out is None:
        yield
        return
    spy = Path(sys.executable).parent / "py-spy"
    proc = subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), "--format", "raw", "--output", str(out),
         "--rate", "500", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(1.0)
        yield
    finally:
        proc.send_signal(2)
        proc.wait(timeout=30)


def loadavg() -> str:
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(args: argparse.Namespace, work: Path) -> str:
    import openai

    labels = {
        label: stack.source_tree(rev, work)
        for label, rev in (spec.split("=", 1) for spec in args.relay)
    }
    load_before = loadavg()
    lines: list[str] = []
    with sandbox_server(work / "sandbox.log") as box:
        client = openai.OpenAI(api_key=API_KEY, base_url=box.url + "/v1", max_retries=0)
        store_id = stack.seed(client)
        client.close()
        kb = stack.write_kb(work / "kb")
        env = relay_env(kb, box.url + "/v1")
        with (
            relays(labels, work, env, "sandbox") as running,
            stack.nginx(work / "nginx", box.port) as proxy,
        ):
            # Phase 1.
            first = next(iter(running.values()))
            targets = [
                Target(label, r.port, "/api/chat", RELAY_DELTA, RELAY_DONE, False)
                for label, r in running.items()
            ]
            targets += [
                Target("nginx", proxy.port, "/v1/responses", UPSTREAM_DELTA, UPSTREAM_DONE, True),
                Target("direct", box.port, "/v1/responses", UPSTREAM_DELTA, UPSTREAM_DONE, True),
            ]
            body: dict[str, Any] = {}
            for target in targets:
                via = running.get(target.label, first)
                for _ in range(args.requests):
                    token, conversation, body = first_turn(via, box)
                    target.conversations.append(
                        token if target.path == "/api/chat" else conversation
                    )
            # The body the current relay sends upstream (the last warm-up was through it).
            _, _, body = first_turn(first, box)
            body = {k: v for k, v in body.items() if k != "conversation"}
            last = list(running.values())[-1]
            cpu = {label: cpu_seconds(r.proc.pid) for label, r in running.items()}
            with profiling(last.proc.pid, args.profile if args.profile_phase == "ttfd" else None):
                asyncio.run(measure_ttfd(targets, body, args.requests))
            cpu = {
                label: (cpu_seconds(r.proc.pid) - cpu[label]) / args.requests
                for label, r in running.items()
            }
            direct = next(t for t in targets if t.label == "direct")
            base50, base99 = percentile(direct.ttfd, 0.5), percentile(direct.ttfd, 0.99)
            lines += [
                f"Added time to first delta, {args.requests} requests per target "
                "(ms; added = target minus direct):",
                "",
                "| target | median TTFD | p99 TTFD | added median | added p99 | CPU per request |",
                "|---|---:|---:|---:|---:|---:|",
            ]
            for t in targets:
                p50, p99 = percentile(t.ttfd, 0.5), percentile(t.ttfd, 0.99)
                lines.append(
                    f"| {t.label} | {p50 * 1000:.2f} | {p99 * 1000:.2f} | "
                    f"{(p50 - base50) * 1000:+.2f} | {(p99 - base99) * 1000:+.2f} | "
                    + (f"{cpu[t.label] * 1000:.2f}" if t.label in cpu else "")
                    + " |"
                )
            # Phase 2.
            set_faults(box, token_delay_ms=200)
            streams = [
                asyncio.run(open_streams(label, relay, args.streams))
                for label, relay in running.items()
            ]
            set_faults(box)
            lines += streams_table(
                f"{args.streams} simultaneous streams per relay on the sandbox "
                "(token_delay_ms 200):",
                streams,
            )
            # A real stream of the sandbox, for the replay upstream.
            raw = _plain_stream(box, body)
    # Phase 3.
    stream_file = work / "stream.sse"
    stream_file.write_bytes(render_stream(raw, args.repeat))
    port = free_port()
    slow_file = work / "slow.sse"
    slow_file.write_bytes(render_stream(raw, -(-20 // max(1, raw.count(UPSTREAM_DELTA)))))
    replay_args = [
        str(ROOT / "bench" / "_replay.py"), str(port), str(stream_file), store_id,
        stack.KB_NAME, str(slow_file), "200",
    ]  # fmt: skip
    with run_server(replay_args, port=port, ready_path="/", log=work / "replay.log") as replay:
        env = relay_env(kb, replay.url + "/v1", VECTOR_STORE_ID=store_id)
        with (
            relays(labels, work, env, "replay") as running,
            stack.nginx(work / "nginx-replay", replay.port) as proxy,
        ):
            isolated = [
                asyncio.run(open_streams(label, relay, args.streams, "slow: " + stack.QUESTION))
                for label, relay in running.items()
            ]
            results = []
            last_label = list(running)[-1]
            for label, relay in running.items():
                request = request_bytes(
                    relay.port, "/api/chat", json.dumps({"message": stack.QUESTION}).encode(),
                    auth=False,
                )  # fmt: skip
                profile = args.profile if args.profile_phase == "throughput" else None
                with profiling(relay.proc.pid, profile if label == last_label else None):
                    results.append(
                        asyncio.run(
                            saturate(label, relay, request, RELAY_DELTA, RELAY_DONE, args.seconds)
                        )
                    )
            request = request_bytes(
                proxy.port, "/v1/responses", json.dumps(body).encode(), auth=True
            )
            results.append(
                asyncio.run(
                    saturate("nginx", proxy, request, UPSTREAM_DELTA, UPSTREAM_DONE, args.seconds)
                )
            )
    lines += streams_table(
        f"The same {args.streams} streams on the replayed upstream (200 ms between deltas, "
        "no conversation work upstream): the relay's own share",
        isolated,
    )
    deltas_per_stream = render_stream(raw, args.repeat).count(UPSTREAM_DELTA)
    lines += [
        "",
        f"Throughput against the replayed upstream ({deltas_per_stream} deltas per stream, "
        f"32 clients, {args.seconds:g} s each):",
        "",
        "| server | deltas/s | CPU µs per delta |",
        "|---|---:|---:|",
    ]
    lines += [f"| {r.label} | {r.per_second:,.0f} | {r.cpu_us_per_delta:.1f} |" for r in results]
    revisions = ", ".join(f"`{spec}`" for spec in args.relay)
    header = [
        SECTION,
        "",
        f"Command: `{' '.join(shlex.quote(a) for a in sys.argv)}`  ",
        f"Machine: {machine()}  ",
        f"Load average (1/5/15 min) before: {load_before}; after: {loadavg()}  ",
        f"Relays: {revisions} (label=git revision; `.` is the working tree)",
        "",
    ]
    return "\n".join(header + lines) + "\n"


def streams_table(title: str, streams: list[Streams]) -> list[str]:
    return [
        "",
        title,
        "",
        "| relay | completed | deltas each | RSS idle → peak (MiB) | KiB per stream "
        "| TTFD p50 (ms) | TTFD p99 (ms) | wall (s) | not completed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ] + [
        f"| {s.label} | {s.completed}/{s.count} | {s.deltas_each:.1f} | "
        f"{s.idle_kib / 1024:.0f} → {s.peak_kib / 1024:.0f} | {s.kib_per_stream:.1f} | "
        f"{s.ttfd_p50 * 1000:.0f} | {s.ttfd_p99 * 1000:.0f} | {s.wall:.1f} | "
        + (", ".join(f"{n} {why}" for why, n in s.failures.most_common()) or "none")
        + " |"
        for s in streams
    ]


def _plain_stream(box: Server, body: dict[str, Any]) -> bytes:
    import httpx

    with httpx.Client(
        base_url=box.url + "/v1",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
        trust_env=False,
    ) as http:
        conversation = http.post("/conversations", json={"metadata": {}}).json()["id"]
        return http.post("/responses", json={**body, "conversation": conversation}).content


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relay", action="append", default=[], metavar="LABEL=REV")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=10, help="delta repeats in the replay")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--profile-phase", choices=("ttfd", "throughput"), default="throughput")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args()
    args.relay = args.relay or ["now=."]
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
        work = Path(tmp)
        try:
            text = run(args, work)
        finally:
            for path in work.glob("src-*"):
                stack.drop_source_tree(path)
    print(text)
    if args.results:
        write_section(args.results, text, SECTION)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
