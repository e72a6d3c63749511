"""What the second security round costs: the replay check per chat message, and masking.

    .venv/bin/python bench/bench_security.py [--messages 2000] [--chats 10000] [--repeat 5]

Times, side by side in one run (best of ``--repeat``):

- the per-message ``state`` work a chat now does before its answer starts
  (``relay._ledger.Ledger``: the turn advanced atomically, the last input read for the
  budget reservation), on SQLite (``synchronous=FULL``: one fsync per write) and on a
  throwaway ``redis-server`` when one is installed, against the relay's measured
  added latency per chat (bench/RESULTS.md, "Relay");
- ``kbcore.mask.mask`` per question, on the questions of the gap-report benchmark's
  generated week (``bench_gaps.generate``);
- the gap report in-process on that week with the new reading (control characters
  stripped, questions masked again) against the same report with both turned off.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_gaps import generate
from kbcore.mask import mask
from kbsync import _chatlog
from kbsync._gaps import GapsOptions, build
from relay._ledger import Ledger
from state import open_state
from testing.servers import redis_server


def best(repeat: int, run: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def ledger_per_message(url_or_path: str, messages: int, repeat: int) -> float:
    """Seconds per message: ``take_turn`` then ``last_input``, each conversation fresh."""
    is_redis = url_or_path.startswith("redis://")
    ledger = Ledger(
        (lambda: open_state(redis_url=url_or_path))
        if is_redis
        else (lambda: open_state(path=url_or_path)),
        ttl=3600.0,
    )
    rounds = iter(range(repeat))

    async def chat() -> None:
        base = next(rounds)
        for n in range(messages):
            conversation = f"conv_{base}_{n}"
            await ledger.take_turn(conversation, 0)
            await ledger.last_input(conversation)

    try:
        return best(repeat, lambda: asyncio.run(chat())) / messages
    finally:
        ledger.close()


@contextmanager
def redis_url(folder: Path) -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with redis_server(binary, folder) as url:
        yield url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-security-") as folder:
        sqlite = ledger_per_message(str(Path(folder) / "state.db"), args.messages, args.repeat)
        rows.append(("replay check + reservation read, SQLite", f"{sqlite * 1000:.3f} ms/message"))
        with redis_url(Path(folder)) as url:
            if url is not None:
                redis = ledger_per_message(url, args.messages, args.repeat)
                rows.append(
                    ("replay check + reservation read, Redis", f"{redis * 1000:.3f} ms/message")
                )

    logs, _ = generate(args.chats)
    questions = [
        chat.question
        for chat in _chatlog.read_chats([str(p) for p in logs], None, _chatlog.Tally())
        if chat.question
    ]
    per_question = best(args.repeat, lambda: [mask(q) for q in questions]) / len(questions)
    rows.append(
        (f"mask() on {len(questions):,} logged questions", f"{per_question * 1e6:.1f} µs each")
    )

    options = GapsOptions(tuple(str(p) for p in logs), Path("no-kb"))
    now = datetime.now(UTC)
    saved: dict[str, Any] = {"mask": _chatlog.mask, "printable": _chatlog.printable}

    def as_before() -> None:
        _chatlog.mask = lambda text: text  # type: ignore[assignment]
        _chatlog.printable = lambda text: text  # type: ignore[assignment]
        try:
            build(options, now=now)
        finally:
            _chatlog.mask, _chatlog.printable = saved["mask"], saved["printable"]

    # Interleaved, best of each: the machine's other jobs touch both alike.
    without, with_checks = float("inf"), float("inf")
    for _ in range(args.repeat):
        without = min(without, best(1, as_before))
        with_checks = min(with_checks, best(1, lambda: build(options, now=now)))
    rows.append((f"gap report in-process, {args.chats:,} chats, as before", f"{without:.3f} s"))
    rows.append(
        (
            "the same, control characters stripped and questions masked again",
            f"{with_checks:.3f} s ({with_checks / without:.2f}x)",
        )
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        sys.stdout.write(f"{name:<{width}}  {value}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
