"""``kbsync eval`` against the real sandbox: ranks, hit@k and MRR, a missing document,
a regression on a preview store built by hand, the Markdown summary, answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.sandbox import sandbox_call
from testing.servers import Server
from testing.waiting import wait_for
from tests._golden import check_golden
from tests.kbsync._helpers import kbsync, requests, stores, write_kb

GOLDEN = Path(__file__).parent / "golden"

pytestmark = pytest.mark.usefixtures("sandbox_env")

EN_PRICES = (
    "# Prices\n\nA monthly membership costs 5000 rubles and includes the pool. "
    "A single visit costs 1500 rubles.\n"
)
EN_PRICES_REWORDED = (  # the change under review: "membership" is gone from the text
    "# Prices\n\nThirty days of unlimited visits cost 5000 rubles, pool included. "
    "One visit costs 1500 rubles.\n"
)
RU_PRICES = (
    "# Цены\n\nАбонемент (membership) на месяц стоит 5000 рублей. "
    "Разовое посещение стоит 1500 рублей.\n"
)
SCHEDULE = (
    "# Opening hours\n\nThe club is open from 7:00 to 23:00 on weekdays and from 9:00 "
    "to 21:00 at weekends.\n"
)
EVALS = """\
- q: How much is a monthly membership?
  expect: [en/prices.md]
  k: 1
  says: ["5000"]
- q: Сколько стоит разовое посещение?
  expect: [ru/prices.md]
  says: ["1500"]
- q: When does the club open at weekends?
  expect: [en/schedule.md]
  says: ["9:00"]
"""
DOCUMENTS = {"en/prices.md": EN_PRICES, "ru/prices.md": RU_PRICES, "en/schedule.md": SCHEDULE}


@pytest.fixture
def kb(tmp_path: Path, sandbox: Server) -> Path:
    """The KB above, synced to the sandbox (its main store)."""
    folder = write_kb(
        tmp_path, DOCUMENTS, "name: test\nfile_search:\n  max_num_results: 6\n", EVALS
    )
    result = kbsync("--kb", str(folder), "--yes")
    assert result.exit_code == 0, result.output
    return folder


def evaluate(kb: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = kbsync("eval", "--kb", str(kb), "--json", *args)
    return result.exit_code, json.loads(result.stdout), result.stderr


def store_files(sandbox: Server, store_id: str) -> dict[str, str]:
    """kb_path → file id of the store's files."""
    listed = sandbox_call(sandbox, "GET", f"/v1/vector_stores/{store_id}/files?limit=100")["data"]
    return {f["attributes"]["kb_path"]: f["id"] for f in listed}


def test_every_question_found_on_main(kb: Path, sandbox: Server) -> None:
    code, document, _ = evaluate(kb)
    assert code == 0
    (main,) = stores(sandbox)
    assert document["store"] == main["id"]
    assert [(q["q"], q["expect"], q["rank"], q["ok"]) for q in document["questions"]] == [
        ("How much is a monthly membership?", ["en/prices.md"], 1, True),
        ("Сколько стоит разовое посещение?", ["ru/prices.md"], 1, True),
        ("When does the club open at weekends?", ["en/schedule.md"], 1, True),
    ]
    assert (document["hit_at_k"], document["mrr"]) == (1.0, 1.0)
    # The search is file_search's retrieval step: the spec's max_num_results, rewriting on.
    searches = [r for r in requests(sandbox) if r["path"].endswith("/search")]
    assert len(searches) == 3
    for request in searches:
        assert request["path"] == f"/v1/vector_stores/{main['id']}/search"
        assert request["body"]["max_num_results"] == 6
        assert request["body"]["rewrite_query"] is True


def test_a_document_missing_from_the_store(kb: Path, sandbox: Server) -> None:
    (main,) = stores(sandbox)
    schedule = store_files(sandbox, main["id"])["en/schedule.md"]
    sandbox_call(sandbox, "DELETE", f"/v1/vector_stores/{main['id']}/files/{schedule}")
    code, document, _ = evaluate(kb)
    assert code == 0  # on main a failing question is the KB's state, not a regression
    last = document["questions"][2]
    assert (last["rank"], last["ok"]) == (None, False)
    assert "en/schedule.md" not in last["found"]
    assert document["hit_at_k"] == pytest.approx(2 / 3, abs=1e-4)
    assert document["mrr"] == pytest.approx(2 / 3, abs=1e-4)
    result = kbsync("eval", "--kb", str(kb), "--min-hit", "1.0")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == ("error: hit@k on main is 0.67, below --min-hit 1.")
    lines = result.stdout.splitlines()
    assert "  miss   -  When does the club open at weekends?" in lines
    assert lines[-1] == "hit@k 2/3 (0.67), MRR 0.67"


def build_preview(sandbox: Server, client: Any, pr: int, documents: dict[str, str]) -> str:
    """A preview store made by hand through the API, as ``kbsync preview`` would make it."""
    store = client.vector_stores.create(
        name=f"kb:test#pr-{pr}",
        metadata={"kb_name": "test", "kb_preview": f"pr-{pr}"},
        expires_after={"anchor": "last_active_at", "days": 7},
    )
    for path, text in documents.items():
        uploaded = client.files.create(
            file=(path.split("/")[-1], text.encode()), purpose="assistants"
        )
        client.vector_stores.files.create(
            store.id, file_id=uploaded.id, attributes={"kb_path": path}
        )
    wait_for(
        lambda: client.vector_stores.retrieve(store.id).file_counts.in_progress == 0,
        timeout=20,
        what="the preview store to finish processing",
    )
    return str(store.id)


def test_a_regression_on_a_preview(kb: Path, sandbox: Server, client: Any, tmp_path: Path) -> None:
    preview = build_preview(sandbox, client, 7, {**DOCUMENTS, "en/prices.md": EN_PRICES_REWORDED})
    code, document, stderr = evaluate(kb, "--store", "preview", "--pr", "7")
    assert code == 1
    assert document["store"] == preview
    assert document["label"] == "pr-7"
    assert document["regressions"] == ["How much is a monthly membership?"]
    first = document["questions"][0]
    assert first["ok"] is False
    assert first["found"][0] == "ru/prices.md"
    assert document["main"]["questions"][0]["rank"] == 1
    assert document["main"]["hit_at_k"] == 1.0
    assert stderr.splitlines()[-1] == (
        "error: 1 golden question passes on main but not on pr-7: "
        "“How much is a monthly membership?”."
    )
    summary = tmp_path / "summary.md"
    summary.write_text("## Plan\n\n", encoding="utf-8")  # appended to, as $GITHUB_STEP_SUMMARY
    assert kbsync("eval", "--kb", str(kb), "--pr", "7", "--summary", str(summary)).exit_code == 1
    check_golden(GOLDEN / "eval_regression.md", summary.read_text(encoding="utf-8"))
    # The same change without the rewording: no regression, exit 0.
    build_preview(sandbox, client, 8, DOCUMENTS)
    code, document, _ = evaluate(kb, "--pr", "8")
    assert (code, document["regressions"]) == (0, [])


def test_answers_check_says_and_citations(kb: Path, sandbox: Server) -> None:
    code, document, _ = evaluate(kb, "--answers")
    assert code == 0, json.dumps(document, ensure_ascii=False)
    for question in document["questions"]:
        assert question["answer"]["ok"] is True, question
        assert question["answer"]["missing"] == []
    assert document["questions"][0]["answer"]["cited"][0] == "en/prices.md"
    evals = kb / "evals.yaml"
    evals.write_text(EVALS.replace('says: ["9:00"]', 'says: ["sauna"]'), encoding="utf-8")
    result = kbsync("eval", "--kb", str(kb), "--answers")
    assert result.exit_code == 1
    assert "            answer: does not say “sauna”" in result.stdout.splitlines()
    assert result.stderr.splitlines()[-1] == (
        "error: 1 answer does not say every `says` phrase and cite an expected document."
    )


def test_bad_requests_one_line_each(tmp_path: Path, sandbox: Server) -> None:
    bare = write_kb(tmp_path / "bare", DOCUMENTS)
    cases = [
        (["--kb", str(bare)], "evals.yaml has no golden questions"),
        (["--kb", str(bare), "--store", "preview"], "--store preview needs --pr N"),
    ]
    unsynced = write_kb(tmp_path / "unsynced", DOCUMENTS, evals=EVALS)
    cases += [
        (["--kb", str(unsynced)], "Knowledge base test has no vector store yet; run kbsync"),
    ]
    for args, expected in cases:
        result = kbsync("eval", *args)
        assert result.exit_code == 1, args
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert expected in result.stderr
    assert kbsync("--kb", str(unsynced), "--yes").exit_code == 0
    result = kbsync("eval", "--kb", str(unsynced), "--pr", "3")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: Pull request #3 has no preview store (pr-3); build it with kbsync preview --pr 3."
    ]


def test_a_preview_before_the_first_merge_stands_alone(
    tmp_path: Path, sandbox: Server, client: Any
) -> None:
    kb = write_kb(tmp_path, DOCUMENTS, evals=EVALS)  # never synced: no main store
    preview = build_preview(sandbox, client, 5, DOCUMENTS)
    result = kbsync("eval", "--kb", str(kb), "--pr", "5", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["store"], document["label"]) == (preview, "pr-5")
    assert "main" not in document
    assert "Evaluating 3 golden questions on pr-5 (no main store to compare with yet)." in (
        result.stderr
    )
    summary = tmp_path / "summary.md"
    assert kbsync("eval", "--kb", str(kb), "--pr", "5", "--summary", str(summary)).exit_code == 0
    assert summary.read_text().startswith("**3/3 golden questions find their document on pr-5**")
