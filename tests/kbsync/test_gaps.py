"""``kbsync gaps``: which chats are gaps, how their questions group, reading the logs."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from kbsync.cli import main
from testing.club import PRICES_MD, SCHEDULE_MD
from testing.sandbox import API_KEY
from testing.servers import Server, relay_server
from tests._golden import check_golden
from tests.kbsync._helpers import write_kb

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)

GOLDEN = Path(__file__).parent / "golden"


def line(
    question: str | None,
    *,
    results: Any = 3,
    top: float | None = 0.8,
    cited: Any = 1,
    at: datetime = T0,
    closest: list[str] | None = None,
    kb: str = "clubsante",
) -> str:
    """One access-log line of a chat, as the relay writes it."""
    record: dict[str, Any] = {
        "ts": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "level": "info",
        "event": "request",
        "method": "POST",
        "route": "/api/chat",
        "status": 200,
        "kb_name": kb,
        "results": results,
        "top_score": top,
        "cited": cited,
        "incomplete": None,
    }
    if question is not None:
        record["question"] = question
    if closest is not None:
        record["closest"] = closest
    return json.dumps(record, ensure_ascii=False)


def crafted() -> list[str]:
    """Answered price questions, and gaps about parking, the sauna and children."""
    minute = timedelta(minutes=1)
    answered = [
        "How much is a monthly membership?",
        "What is the price of a single visit?",
        "Prices for students?",
        "Сколько стоит абонемент?",
        "When does the pool open?",
    ] * 4
    lines = [line(q, at=T0 + n * minute) for n, q in enumerate(answered)]
    contacts = ["en/contacts.md", "en/faq.md"]
    nothing: dict[str, Any] = {"results": 0, "top": None, "cited": 0}
    gaps: list[tuple[str | None, dict[str, Any]]] = [
        ("Where can I park my car?", nothing),
        ("Is there parking near the club?", {"top": 0.12, "cited": 0, "closest": contacts}),
        ("Is there  parking near the club?", {"top": 0.2, "cited": 0, "closest": contacts}),
        ("How much is parking?", {"top": 0.25, "cited": 0, "closest": ["en/prices.md", *contacts]}),
        ("Do you have a sauna?", nothing),
        ("Do you have a sauna? Thanks!", nothing),  # the same wording: not a second example
        ("sauna prices", {"top": 0.6, "cited": 0, "closest": ["en/prices.md"]}),
        ("Есть ли у вас сауна?", nothing),
        ("Можно ли прийти с ребёнком?", nothing),
        (
            "С детьми можно? Перезвоните мне: [phone]",
            {"top": 0.1, "cited": 0, "closest": ["ru/rules.md"]},
        ),
        ("hello?", nothing),
        (None, nothing),  # LOG_QUESTIONS unset on that relay
    ]
    later = T0 + timedelta(hours=1)
    return lines + [line(q, at=later + n * minute, **kw) for n, (q, kw) in enumerate(gaps)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{x}\n" for x in lines), encoding="utf-8")
    return path


def gaps(tmp_path: Path, *args: str) -> Result:
    """``kbsync gaps`` with ``--kb`` pointing at no KB (all chats read)."""
    return CliRunner().invoke(
        main, ["gaps", "--kb", str(tmp_path / "no-kb"), *args], catch_exceptions=False
    )


def report(tmp_path: Path, *args: str) -> dict[str, Any]:
    result = gaps(tmp_path, *args, "--json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_groups_on_a_crafted_set(tmp_path: Path) -> None:
    log = write(tmp_path / "relay.log", crafted())
    document = report(tmp_path, str(log))
    assert (document["chats"], document["gaps"], document["unlogged"]) == (32, 12, 1)
    groups = [
        (g["words"], g["count"], g["examples"], g["reasons"], g["closest"])
        for g in document["groups"]
    ]
    no, low, uncited = "no_result", "low_score", "not_cited"
    assert groups == [
        (
            ["parking"],
            4,
            [
                "Is there parking near the club?",  # asked twice (spacing aside)
                "How much is parking?",
                "Where can I park my car?",
            ],
            {no: 1, low: 3, uncited: 0},
            [
                {"path": "en/contacts.md", "count": 3},
                {"path": "en/faq.md", "count": 3},
                {"path": "en/prices.md", "count": 1},
            ],
        ),
        (
            ["sauna"],
            3,
            ["Do you have a sauna?", "sauna prices"],
            {no: 2, low: 0, uncited: 1},
            [{"path": "en/prices.md", "count": 1}],
        ),
        (
            ["детьми", "перезвоните"],
            1,
            ["С детьми можно? Перезвоните мне: [phone]"],
            {no: 0, low: 1, uncited: 0},
            [{"path": "ru/rules.md", "count": 1}],
        ),
        (
            ["прийти", "ребенком"],
            1,
            ["Можно ли прийти с ребёнком?"],
            {no: 1, low: 0, uncited: 0},
            [],
        ),
        (["сауна"], 1, ["Есть ли у вас сауна?"], {no: 1, low: 0, uncited: 0}, []),
        ([], 1, ["hello?"], {no: 1, low: 0, uncited: 0}, []),
    ]


def test_markdown_report_golden(tmp_path: Path) -> None:
    log = write(tmp_path / "relay.log", crafted())
    result = gaps(tmp_path, str(log))
    assert result.exit_code == 0, result.stderr
    check_golden(GOLDEN / "gaps.md", result.stdout)


def test_gzip_several_files_and_since(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old, recent = now - timedelta(days=10), now - timedelta(days=2)
    plain = write(
        tmp_path / "relay.log",
        [
            line("Where can I park?", results=0, top=None, cited=0, at=old),
            line("Where can I park?", results=0, top=None, cited=0, at=recent),
            line("What are the prices?", at=recent),
        ],
    )
    rotated = tmp_path / "relay.log.1.gz"  # logrotate's name; read by content
    with gzip.open(rotated, "wt", encoding="utf-8") as stream:
        stream.write(line("Is there parking?", top=0.1, cited=0, at=recent) + "\n")
        stream.write(line("Is there parking?", top=0.1, cited=0, at=old) + "\n")
    copied = tmp_path / "relay-copy"  # gzipped, without the extension
    copied.write_bytes(gzip.compress((line("Parking for bikes?", at=now, cited=0) + "\n").encode()))
    everything = report(tmp_path, str(plain), str(rotated), str(copied))
    assert (everything["chats"], everything["gaps"]) == (6, 5)
    assert [(g["words"], g["count"]) for g in everything["groups"]] == [(["parking"], 5)]

    result = gaps(tmp_path, str(plain), str(rotated), str(copied), "--since", "7d", "--json")
    assert result.exit_code == 0
    week = json.loads(result.stdout)
    assert (week["chats"], week["gaps"]) == (4, 3)
    assert week["groups"][0]["count"] == 3
    assert week["first"] == recent.isoformat().replace("+00:00", "Z")
    assert "Skipped 2 chats before " in result.stderr
    dated = report(tmp_path, str(plain), str(rotated), "--since", now.date().isoformat())
    assert dated["chats"] == 0


def test_lines_with_a_prefix_and_other_lines(tmp_path: Path) -> None:
    log = write(
        tmp_path / "journal.txt",
        [
            "May 04 09:00:00 web relay[812]: " + line("Do you have a sauna?", results=0, cited=0),
            '{"ts": "2026-05-04T09:00:01Z", "event": "started"}',
            "INFO:     Uvicorn running on http://0.0.0.0:8000",
            line("Do you have a sauna?", results=0, cited=0)[:40],  # a cut last line
        ],
    )
    result = gaps(tmp_path, str(log), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["gaps"] == 1
    assert result.stderr.splitlines() == ["Skipped 3 lines that are not chats."]


def test_only_the_kbs_own_chats_with_kb(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "files").mkdir(parents=True)
    (kb / "instructions.md").write_text("Answer.\n")
    (kb / "assistant.yaml").write_text("name: clubsante\n")
    log = write(
        tmp_path / "relay.log",
        [line("sauna?", results=0), line("sauna?", results=0, kb="other")],
    )
    result = CliRunner().invoke(main, ["gaps", "--kb", str(kb), str(log), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["chats"] == 1
    assert "Skipped 1 chats of other knowledge bases." in result.stderr


def test_without_logged_questions_no_groups_and_a_hint(tmp_path: Path) -> None:
    log = write(tmp_path / "relay.log", [line(None, results=0), line(None)])
    result = gaps(tmp_path, str(log))
    assert result.exit_code == 0
    assert "LOG_QUESTIONS=1" in result.stdout
    assert "## " not in result.stdout
    assert result.stdout.splitlines()[2].startswith("1 of 2 chats (50.0 %) from ")


def test_bad_input_one_line_each(tmp_path: Path) -> None:
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(gzip.compress((line("sauna?") + "\n").encode() * 200)[:60])
    cases = {
        (str(tmp_path / "missing.log"),): "no such log file; check the path.",
        (str(tmp_path),): "is a folder; name the log files in it.",
        (str(cut),): "cannot be read to the end",
        (str(cut), "--since", "last week"): "--since 'last week' is neither a duration",
    }
    for args, expected in cases.items():
        result = gaps(tmp_path, *args)
        assert result.exit_code == 1, args
        assert result.stdout == ""
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert expected in result.stderr


def test_the_relays_own_log_lines(tmp_path: Path, sandbox: Server, base_url: str) -> None:
    """The relay (a real server, LOG_QUESTIONS=1) answers chats from a synced KB; its log
    is the report's input as it is."""
    kb = write_kb(tmp_path, {"prices.md": PRICES_MD, "schedule.md": SCHEDULE_MD})
    synced = CliRunner().invoke(main, ["--kb", str(kb), "--yes"], env={"OPENAI_BASE_URL": base_url})
    assert synced.exit_code == 0, synced.output
    env = {
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": base_url,
        "KB_DIR": str(kb),
        "RELAY_SECRET": "gaps-test-secret-0123456789abcdef-0123",
        "LOG_QUESTIONS": "1",
        "RATE_LIMIT": "off",
        "ALLOWED_ORIGINS": "*",
        "REDIS_URL": "",
    }
    log = tmp_path / "relay.log"
    with relay_server(log, env, cwd=tmp_path, ready_only=True) as relay:
        questions = [
            "How much is a monthly membership?",
            "Where can I park my car? Call me on +7 912 345-67-89",
            "Is there parking for bicycles?",
            "When does the swimming pool close?",
        ]
        for question in questions:
            answer = httpx.post(relay.url + "/api/chat", json={"message": question}, timeout=30)
            assert answer.status_code == 200
            assert "event: done" in answer.text
    result = CliRunner().invoke(main, ["gaps", "--kb", str(kb), str(log), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["kb_name"] == "test"
    assert document["chats"] == 4
    groups = [(g["words"][0], g["count"]) for g in document["groups"]]
    assert groups == [("park", 2)]
    (parking,) = document["groups"]
    assert "Where can I park my car? Call me on [phone]" in parking["examples"]
    # Each parking chat is counted under what its own log line says.
    logged = [json.loads(x) for x in log.read_text().splitlines() if '"question"' in x]
    parked = [x for x in logged if "park" in x["question"]]
    assert parking["reasons"] == {
        "no_result": sum(x["results"] == 0 for x in parked),
        "low_score": sum(x["results"] > 0 and x["top_score"] < 0.3 for x in parked),
        "not_cited": sum(
            x["results"] > 0 and x["top_score"] >= 0.3 and not x["cited"] for x in parked
        ),
    }
    # The closest documents come from the relay's own `closest` field (file_search's
    # results, best first), when the search found anything for those questions.
    found = sorted({p for x in parked for p in x["closest"]})
    assert found, "file_search found documents for the parking questions"
    assert sorted(c["path"] for c in parking["closest"]) == found
