"""Relay logs with known counts, for the report's tests and benchmark.

``write_log`` writes chat, feedback, lead and hand-off lines as the relay does (one JSON
object per line, ``json.dumps`` with its default separators), interleaved with other
requests, and returns what a correct report must count. Every rule is arithmetic on the
chat's number ``i``, so the expected counts follow without a second reader.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

START = datetime(2026, 11, 1, tzinfo=UTC)
QUESTIONS = (
    ("Is there parking?", False),
    ("How much is a membership?", True),
    ("Do you have a sauna?", False),
    ("When are you open?", True),
)


@dataclass
class Expected:
    chats: int = 0
    answered: int = 0
    up: int = 0
    down: int = 0
    leads: int = 0
    handoffs: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)  # chats
    by_variant: dict[str, Counter[str]] = field(default_factory=dict)
    days: Counter[str] = field(default_factory=Counter)  # chats per day
    other_lines: int = 0


def chat_line(
    i: int, total: int, *, kb_name: str = "club", days: int = 30
) -> tuple[dict[str, Any], dict[str, bool]]:
    """The ``i``-th of ``total`` chats' log line and what it is (answered, warm, telegram)."""
    warm = (i // 4) % 2 == 1  # half the chats, four at a time: variant warm
    telegram = i % 5 == 0
    question, known = QUESTIONS[i % len(QUESTIONS)]
    # main answers 3 of 4 questions with a source; warm the same plus every 10th of the rest
    answered = known or (i % 4 == 0 and not warm) or (warm and i % 10 == 3)
    finished = i % 50 != 7  # 2 % of streams end in an error
    moment = START + timedelta(seconds=(i * 86400 * days) // max(1, total))
    line = {
        "ts": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "level": "info",
        "event": "request",
        "method": "POST",
        "route": "/api/chat",
        "status": 200,
        "kb_name": kb_name,
        "channel": "telegram" if telegram else "web",
        "variant": "warm" if warm else "main",
        "response_id": f"resp_{i:08d}",
        "stream": "done" if finished else "error",
        "results": 3 if answered else 0,
        "top_score": 0.71 if answered else None,
        "cited": 1 if answered else 0,
        "closest": ["en/prices.md"] if answered else [],
        "incomplete": None,
        "question": question,
    }
    return line, {
        "warm": warm,
        "telegram": telegram,
        "answered": answered and finished,
    }


def write_log(path: Path, chats: int, *, days: int = 30, gz: bool = False) -> Expected:
    """``chats`` chats over ``days`` days from ``START``, with feedback on every 3rd answer
    (the 9th ones rated twice: the last rating wins), a lead on every 40th chat (every 20th
    for warm), a hand-off on every 200th, and a health check between chats."""
    expected = Expected()
    for name in ("main", "warm"):
        expected.by_variant[name] = Counter()
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8") as out:
        for i in range(chats):
            _one(out, i, chats, days, expected)
    return expected


def _one(out: IO[str], i: int, total: int, days: int, e: Expected) -> None:
    line, what = chat_line(i, total, days=days)
    variant, channel = line["variant"], line["channel"]
    v = e.by_variant[variant]
    _write(out, line)
    e.chats += 1
    v["chats"] += 1
    e.by_channel[channel] += 1
    e.days[line["ts"][:10]] += 1
    if what["answered"]:
        e.answered += 1
        v["answered"] += 1
    base = {"ts": line["ts"], "level": "info", "kb_name": "club", "channel": channel}
    if i % 3 == 0:
        # warm is liked more: down when i % 7 == 0 (warm) / i % 4 == 0 (main)
        up = i % (7 if variant == "warm" else 4) != 0
        if i % 9 == 0:  # first the opposite, then the final rating
            _write(
                out,
                {
                    **base,
                    "event": "feedback",
                    "response_id": line["response_id"],
                    "rating": "down" if up else "up",
                    "reason": None,
                    "variant": variant,
                },
            )
        _write(
            out,
            {
                **base,
                "event": "feedback",
                "response_id": line["response_id"],
                "rating": "up" if up else "down",
                "reason": None if up else "wrong",
                "variant": variant,
            },
        )
        key = "up" if up else "down"
        setattr(e, key, getattr(e, key) + 1)
        v[key] += 1
    if (variant == "warm" and i % 20 == 1) or (variant == "main" and i % 40 == 0):
        _write(out, {**base, "event": "lead", "lead": f"lead_{i}", "variant": variant})
        e.leads += 1
        v["leads"] += 1
    if i % 200 == 0:
        _write(out, {**base, "event": "handoff", "variant": variant})
        e.handoffs += 1
    _write(
        out,
        {
            "ts": line["ts"],
            "level": "info",
            "event": "request",
            "method": "GET",
            "route": "/api/ping",
            "status": 200,
        },
    )
    e.other_lines += 1


def _write(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
