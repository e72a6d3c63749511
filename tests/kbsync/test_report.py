"""``kbsync report``: counts against a generated log whose counts are known, tolerance of
bad input, the two-proportion test, the HTML page in Chromium."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest
from click.testing import CliRunner

from kbsync._report import ReportOptions, build
from kbsync._report_html import to_html
from kbsync._report_stats import compare, z_test
from kbsync._report_text import sentence
from kbsync.cli import main
from testing.reportlog import Expected, write_log
from tests.conftest import need

NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _outside_any_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No kb/ around: the report counts every knowledge base's lines (no --kb filter)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


CHROMIUM = Path("/usr/bin/chromium")


def report_json(*args: str) -> tuple[dict[str, Any], str]:
    outcome = CliRunner().invoke(main, ["report", *args, "--json"], catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.stdout), outcome.stderr


def counts_of(expected: Expected) -> dict[str, Any]:
    variants = {
        name: {k: counts[k] for k in ("chats", "answered", "up", "down", "leads")}
        for name, counts in expected.by_variant.items()
    }
    return {
        "chats": expected.chats,
        "answered": expected.answered,
        "up": expected.up,
        "down": expected.down,
        "leads": expected.leads,
        "handoffs": expected.handoffs,
        "by_variant": variants,
        "by_channel": dict(expected.by_channel),
    }


def found(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "chats": document["chats"],
        "answered": document["answered"],
        "up": document["feedback"]["up"],
        "down": document["feedback"]["down"],
        "leads": document["leads"],
        "handoffs": document["handoffs"],
        "by_variant": document["by_variant"],
        "by_channel": {name: c["chats"] for name, c in document["by_channel"].items()},
    }


def test_counts_match_a_generated_log(tmp_path: Path) -> None:
    log = tmp_path / "relay.log"
    expected = write_log(log, 4000)
    document, _ = report_json(str(log), "--since", "2026-01-01")
    assert found(document) == counts_of(expected)
    assert sorted(document) == sorted(
        [
            "chats", "answered", "feedback", "leads", "handoffs", "by_channel", "by_variant",
            "tests", "kb_name", "since", "first", "last", "days", "gaps", "skipped",
        ]
    )  # fmt: skip
    assert {d["date"]: sum(d["chats"].values()) for d in document["days"]} == dict(expected.days)
    assert document["skipped"] == {
        "unreadable": 0,
        "other": expected.other_lines,
        "other_kb": 0,
        "before_since": 0,
        "cut_files": [],
    }
    assert [(t["variant"], t["metric"]) for t in document["tests"]] == [
        ("warm", "up"),
        ("warm", "answered"),
        ("warm", "leads"),
    ]
    assert document["gaps"][0]["words"] == ["sauna"]
    assert document["gaps"][0]["count"] == 1000  # every "sauna?" of main and warm


def test_the_last_rating_of_an_answer_wins(tmp_path: Path) -> None:
    log = tmp_path / "relay.log"
    rows = [
        {"ts": "2026-12-01T10:00:00Z", "event": "request", "results": 1, "cited": 1,
         "response_id": "resp_1", "kb_name": "club"},
        {"ts": "2026-12-01T10:00:05Z", "event": "feedback", "response_id": "resp_1",
         "rating": "up", "kb_name": "club"},
        {"ts": "2026-12-01T10:00:09Z", "event": "feedback", "response_id": "resp_1",
         "rating": "down", "reason": "outdated", "kb_name": "club"},
    ]  # fmt: skip
    # Rotated files read newest first: the later rating still wins by its time.
    (tmp_path / "relay.log.1").write_text(json.dumps(rows[2]) + "\n")
    log.write_text("".join(json.dumps(row) + "\n" for row in rows[:2]))
    document, _ = report_json(str(tmp_path / "relay.log.1"), str(log), "--since", "2026-01-01")
    assert document["feedback"] == {"up": 0, "down": 1, "reasons": {"outdated": 1}}


def test_bad_lines_rotated_gzipped_old_and_foreign_lines_are_counted(tmp_path: Path) -> None:
    base = {"event": "request", "results": 2, "cited": 1, "stream": "done"}
    old = {"ts": "2026-12-01T09:00:00Z", "results": 2, "cited": 0}  # an older relay's line
    mine = {**base, "ts": "2026-12-01T10:00:00Z", "kb_name": "club", "variant": "warm"}
    theirs = {**base, "ts": "2026-12-01T10:00:00Z", "kb_name": "other"}
    early = {**base, "ts": "2026-10-01T10:00:00Z", "kb_name": "club"}
    plain = tmp_path / "relay.log"
    plain.write_text(
        "\n".join(
            [
                json.dumps(mine),
                "Dec 01 10:00:01 host relay[12]: " + json.dumps(mine),  # journald prefix
                json.dumps(old),
                json.dumps(theirs),
                json.dumps(early),
                "not json at all",
                "[1, 2]",
                "",
                json.dumps(mine)[:40],  # a line cut by a crash
            ]
        )
    )
    rotated = tmp_path / "relay.log.2.gz"
    rotated.write_bytes(gzip.compress((json.dumps(mine) + "\n").encode()))
    cut = tmp_path / "relay.log.3.gz"
    whole = gzip.compress(("".join(json.dumps(mine) + "\n" for _ in range(200))).encode())
    cut.write_bytes(whole[: len(whole) // 2])
    document, stderr = report_json(
        plain.name, rotated.name, cut.name, "--kb-name", "club", "--since", "2026-11-01"
    )
    assert document["skipped"]["unreadable"] == 3
    assert document["skipped"]["other_kb"] == 1
    assert document["skipped"]["before_since"] == 1
    assert document["skipped"]["cut_files"] == ["relay.log.3.gz"]
    # 2 + old + rotated + what the cut file held before its cut
    read_from_cut = document["chats"] - 4
    assert 0 <= read_from_cut < 200
    assert document["by_variant"]["main"]["chats"] == 1  # the old line: main, web
    assert document["by_channel"]["web"]["chats"] == document["chats"]
    assert document["answered"] == document["chats"] - 1  # the old line cited nothing
    assert "Traceback" not in stderr


def test_two_proportion_test_matches_the_normal_tail() -> None:
    p = z_test(310, 1000, 240, 1000)
    pooled = 550 / 2000
    z = (0.31 - 0.24) / (pooled * (1 - pooled) * (2 / 1000)) ** 0.5
    assert p == pytest.approx(2 * (1 - NormalDist().cdf(z)), rel=1e-9)
    assert p == pytest.approx(0.000456, abs=2e-6)


def test_no_p_value_below_100_chats_a_side() -> None:
    few = compare("warm", "up", (31, 24), (99, 100), (99, 1240))
    assert few.p_value is None
    assert sentence(few, "en") == (
        "variant warm: 31\u00a0% 👍 vs 24\u00a0%, not enough data yet (99 and 1,240 chats)"
    )
    enough = compare("warm", "up", (384, 298), (1240, 1240), (1240, 1240))
    assert enough.p_value == pytest.approx(z_test(384, 1240, 298, 1240))
    assert sentence(enough, "en") == (
        "variant warm: 31\u00a0% 👍 vs 24\u00a0%, p < 0.001, 1,240 chats a side"
    )
    assert sentence(enough, "ru") == (
        "вариант warm: 31\u00a0% 👍 против 24\u00a0%, p < 0,001, по 1\u00a0240 чатов"
    )


def test_text_report_and_a_missing_log(tmp_path: Path) -> None:
    log = tmp_path / "relay.log"
    write_log(log, 300)
    outcome = CliRunner().invoke(main, ["report", str(log), "--since", "2026-01-01"])
    assert outcome.exit_code == 0
    assert outcome.stdout.splitlines()[:5] == [
        "## How the assistant does: club",
        "2026-11-01 – 2026-11-30 (UTC)",
        "",
        "- Chats: 300 (web 240, telegram 60)",
        "- Answered with a source: 182 (61\u00a0%)",
    ]
    missing = CliRunner().invoke(main, ["report", "nope.log"])
    assert missing.exit_code == 1
    assert missing.stderr == "error: nope.log: no such log file; check the path.\n"


def test_html_opens_in_chromium_offline_without_errors(tmp_path: Path) -> None:
    need(CHROMIUM.exists(), "Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    log = tmp_path / "relay.log"
    write_log(log, 3000)
    page_file = tmp_path / "report.html"
    html = to_html(build(ReportOptions(logs=(str(log),), since=None), now=NOW), "ru")
    page_file.write_text(html, encoding="utf-8")
    assert "<script" not in html
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 375, "height": 667})
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(page_file.as_uri())
        charts = page.locator("svg").count()
        overflow = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert problems == []
    assert requests == [page_file.as_uri()]
    assert charts >= 5 + 3 + 2  # 5 day charts, 3 variant pairs, 2 gap bars
    assert overflow <= 375  # fits a phone's width


def test_the_kb_folder_names_the_lines_to_count(tmp_path: Path) -> None:
    log = tmp_path / "relay.log"
    expected = write_log(log, 100)  # kb_name "club"
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"ts": "2026-11-02T00:00:00Z", "kb_name": "other", "results": 1}))
        out.write("\n")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "instructions.md").write_text("Answer.\n", encoding="utf-8")
    (kb / "assistant.yaml").write_text("name: club\n", encoding="utf-8")
    document, stderr = report_json(str(log), "--since", "2026-01-01")
    assert (document["chats"], document["skipped"]["other_kb"]) == (100, 1)
    assert "Counting the lines of knowledge base club (kb/); --kb-name for another." in stderr
    both, _ = report_json(str(log), "--since", "2026-01-01", "--kb-name", "other")
    club_lines = len(log.read_text(encoding="utf-8").splitlines()) - expected.other_lines - 1
    assert (both["chats"], both["skipped"]["other_kb"]) == (1, club_lines)


def test_a_telegram_chat_line_counts_as_a_chat(tmp_path: Path) -> None:
    """The bot logs its turns as {"event": "chat", "channel": "telegram", ...}: no results."""
    log = tmp_path / "bot.log"
    line = {"ts": "2026-12-01T10:00:00Z", "event": "chat", "channel": "telegram",
            "variant": "main", "response_id": "resp_9", "cited": 1, "kb_name": "club"}  # fmt: skip
    log.write_text(json.dumps(line) + "\n", encoding="utf-8")
    document, _ = report_json(str(log), "--since", "2026-01-01")
    assert document["by_channel"]["telegram"]["chats"] == 1
    assert document["answered"] == 1
