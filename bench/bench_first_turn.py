"""The first word of a new conversation after one upstream round trip.

A first turn used to wait for ``POST /conversations`` and then for the answer: two round
trips before the first delta. The answer engine now starts the answer at once and
creates the conversation beside it. This measures, against the sandbox at
``latency_ms`` 150, the time to the first ``delta`` of first turns and of follow-ups,
interleaved (first, follow-up, first, …) so that both see the same machine; and the same
for an older revision (``--before``) side by side in the same run.

    .venv/bin/python bench/bench_first_turn.py [--rounds 20] [--before 06615c2]

Goal: first turn / follow-up ≤ 1.2.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import openai

import bench._relay_stack as stack
from testing.sandbox import set_faults
from testing.servers import sandbox_server

LATENCY_MS = 150


def first_delta(relay_url: str, message: str, token: str | None) -> tuple[float, str]:
    """Seconds to the first ``delta`` event, and the conversation token of the answer."""
    body = json.dumps({"message": message, "conversation": token}).encode()
    request = urllib.request.Request(
        relay_url + "/api/chat", data=body, headers={"content-type": "application/json"}
    )
    started = time.perf_counter()
    ttfd: float | None = None
    new_token = ""
    with urllib.request.urlopen(request, timeout=60) as response:
        event = ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "conversation":
                    new_token = data["conversation"]
                elif event == "delta" and ttfd is None:
                    ttfd = time.perf_counter() - started
    if ttfd is None:
        raise SystemExit("an answer had no delta; see the relay log")
    return ttfd, new_token


def measure(relay_url: str, rounds: int) -> tuple[list[float], list[float]]:
    firsts, follow_ups = [], []
    for _ in range(rounds):
        took, token = first_delta(relay_url, stack.QUESTION, None)
        firsts.append(took)
        took, _ = first_delta(relay_url, "When is the club open?", token)
        follow_ups.append(took)
    return firsts, follow_ups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--before", default="06615c2", help="an older revision to compare")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-first-turn-"))
    sources = {"this tree": stack.source_tree(".", work)}
    if args.before:
        sources[args.before] = stack.source_tree(args.before, work)
    try:
        with sandbox_server(work / "sandbox.log") as sandbox:
            client = openai.OpenAI(api_key="sk-bench", base_url=sandbox.url + "/v1")
            stack.seed(client)
            kb = stack.write_kb(work / "kb")
            env = {
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": sandbox.url + "/v1",
                "KB_DIR": str(kb),
                "RELAY_SECRET": secrets.token_urlsafe(32),
                "RATE_LIMIT": "off",
                "STATE_DB": str(work / "state.db"),
            }
            rows = []
            for label, source in sources.items():
                log = work / f"relay-{label.replace(' ', '-')}.log"
                with stack.relay(source, log, env, cwd=work) as relay:
                    first_delta(relay.url, stack.QUESTION, None)  # warm up
                    set_faults(sandbox.url, latency_ms=LATENCY_MS)
                    firsts, follow_ups = measure(relay.url, args.rounds)
                    set_faults(sandbox.url, latency_ms=0)
                rows.append((label, statistics.median(firsts), statistics.median(follow_ups)))
    finally:
        for source in sources.values():
            stack.drop_source_tree(source)
    print(f"sandbox latency_ms={LATENCY_MS}, {args.rounds} rounds, medians of time to first delta")
    print("| relay | first turn | follow-up | first / follow-up |")
    print("|---|---:|---:|---:|")
    for label, first, follow in rows:
        print(
            f"| {label} | {first * 1000:.0f} ms | {follow * 1000:.0f} ms | {first / follow:.2f} |"
        )


if __name__ == "__main__":
    main()
