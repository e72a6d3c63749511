"""Leads: how many the relay accepts durably per second, and the reliability run.

    .venv/bin/python bench/bench_leads.py [--leads 2000] [--concurrency 16]
        [--reliability 1000] [--kills 5] [--results bench/RESULTS.md]

Part 1, side by side in one run on one relay process (SQLite outbox, WAL,
``synchronous=FULL``: each 202 follows an fsync'd commit): ``GET /api/ping`` (the
relay's floor), ``POST /api/lead`` with delivery off (no sink configured), and with
delivery on (webhook and Bitrix24 fakes in the sandbox taking every lead meanwhile).
Goal: ≥ 200 leads/s; the p99 of the 202.

Part 2, the reliability run: ``--reliability`` leads while the webhook and Bitrix24 fakes
fail 30 % of requests (500, timeout, lost reply) and the relay is SIGKILLed right after a
202 and restarted ``--kills`` times; then the faults stop and the outbox drains. Goal:
0 lost, 0 duplicates (Bitrix24 by ORIGIN_ID, the webhook by Idempotency-Key), 0 dead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2
from load_relay import write_section

from testing.leads import LeadStack, Reliability, post_many, reliability_run
from testing.sandbox import sandbox_call
from testing.servers import sandbox_server

SECTION = "## Leads: accepted per second, and the reliability run"
NO_SINKS = {
    "LEADS_WEBHOOK_URL": "",
    "BITRIX24_WEBHOOK_URL": "",
}


def machine() -> str:
    load = os.getloadavg()[0]
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {load:.1f} at start"
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def pings(url: str, count: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue = iter(range(count))
    async with httpx2.AsyncClient(base_url=url, timeout=30) as client:

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                reply = await client.get("/api/ping")
                assert reply.status_code == 200
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def measure(label: str, run: object) -> tuple[str, int, float, list[float]]:
    started = time.perf_counter()
    latencies = asyncio.run(run)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    if isinstance(latencies, tuple):
        latencies = latencies[1]
    return label, len(latencies), seconds, latencies


def throughput(sandbox_url: str, folder: Path, count: int, concurrency: int) -> list[str]:
    rows: list[tuple[str, int, float, list[float]]] = []
    off = LeadStack(sandbox_url, folder / "off", extra_env=NO_SINKS)
    with off.relay() as server:
        asyncio.run(post_many(server.url, 0, 50, concurrency))  # warm up
        rows.append(measure("GET /api/ping (the floor)", pings(server.url, count, concurrency)))
        rows.append(measure("POST /api/lead, delivery off",
                            post_many(server.url, 100, count, concurrency)))  # fmt: skip
    on = LeadStack(sandbox_url, folder / "on")
    with on.relay() as server:
        asyncio.run(post_many(server.url, 0, 50, concurrency))
        rows.append(measure("POST /api/lead, delivery on (2 sinks)",
                            post_many(server.url, 100, count, concurrency)))  # fmt: skip
    floor = rows[0][1] / rows[0][2]
    lines = [
        f"| {count:,} requests, {concurrency} clients | per second | vs ping | p50 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, n, seconds, latencies in rows:
        rate = n / seconds
        lines.append(
            f"| {label} | {rate:,.0f} | {rate / floor:.2f} | "
            f"{statistics.median(latencies) * 1000:.1f} ms | {pct(latencies, 0.99) * 1000:.1f} ms |"
        )
    return lines


def reliability_lines(result: Reliability) -> list[str]:
    faults = ", ".join(f"{k} {v}" for k, v in sorted(result.faults.items()))
    return [
        "| reliability run | |",
        "|---|---:|",
        f"| leads posted / accepted (202) | {result.posted:,} / {result.accepted:,} |",
        f"| relay SIGKILLed and restarted | {result.kills} |",
        f"| lost (accepted, missing from a fake) | {result.lost} |",
        f"| duplicates in Bitrix24 (by ORIGIN_ID) | {result.bitrix_duplicates} |",
        f"| duplicates at the webhook (by Idempotency-Key) | {result.webhook_duplicates} |",
        f"| webhook deliveries the receiver already had (acknowledged) | {result.webhook_resent} |",
        f"| Bitrix24 look-ups by ORIGIN_ID before adding again | {result.bitrix_lookups} |",
        f"| dead | {result.dead} |",
        f"| outbox drained after the faults stopped | {result.drain_seconds} s |",
        f"| faults dealt | {faults} |",
        f"| share of requests faulted while faults were on | {result.fault_share:.0%} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reliability", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--results", type=Path, help="write the figures into this Markdown file")
    args = parser.parse_args()
    command = ".venv/bin/python bench/bench_leads.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="kbsync-leads-") as tmp:
        folder = Path(tmp)
        with sandbox_server(folder / "sandbox.log") as sandbox:
            start = machine()
            rate_lines = throughput(sandbox.url, folder, args.leads, args.concurrency)
            print("\n".join(rate_lines), flush=True)
            sandbox_call(sandbox.url, "POST", "/_sandbox/reset", {})
            result = reliability_run(
                LeadStack(sandbox.url, folder / "reliability"),
                total=args.reliability,
                kills=args.kills,
                drain_timeout=1800.0,
            )
            print("\n".join(reliability_lines(result)), flush=True)
    text = "\n".join(
        [
            SECTION,
            "",
            "    " + command.strip(),
            "",
            f"Machine: {start}. The relay, the sandbox and the load client share the 2 cores.",
            "",
            *rate_lines,
            "",
            *reliability_lines(result),
            "",
        ]
    )
    if args.results:
        write_section(args.results, text, SECTION)
    ok = result.lost == 0 and result.bitrix_duplicates == 0 and result.dead == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
