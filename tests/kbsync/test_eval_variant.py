"""``kbsync eval --answers --variant NAME``: the answers use the variant's instructions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.kbsync._helpers import kbsync, write_kb
from tests.kbsync.test_eval import DOCUMENTS, EVALS

pytestmark = pytest.mark.usefixtures("sandbox_env")

SETTINGS = "name: test\nvariants:\n  - {name: warm, weight: 50}\n"
WARM = "Answer warmly, from the documents only."


@pytest.fixture
def kb(tmp_path: Path, sandbox: Server) -> Path:
    folder = write_kb(tmp_path, DOCUMENTS, SETTINGS, EVALS)
    (folder / "variants").mkdir()
    (folder / "variants" / "warm.md").write_text(WARM + "\n", encoding="utf-8")
    assert kbsync("--kb", str(folder), "--yes").exit_code == 0
    return folder


def instructions_sent(sandbox: Server) -> set[str]:
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=200")["requests"]
    return {
        r["body"]["instructions"]
        for r in log
        if r["method"] == "POST" and r["path"] == "/v1/responses"
    }


def test_answers_with_the_variants_instructions(kb: Path, sandbox: Server) -> None:
    result = kbsync("eval", "--kb", str(kb), "--answers", "--variant", "warm", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["variant"] == "warm"
    assert "Answering with the instructions of variant warm." in result.stderr
    assert instructions_sent(sandbox) == {WARM}


def test_an_unknown_variant_or_no_answers_is_one_line(kb: Path) -> None:
    unknown = kbsync("eval", "--kb", str(kb), "--answers", "--variant", "cold")
    assert unknown.exit_code == 1
    assert unknown.stderr == (
        "error: --variant cold: kb/assistant.yaml has no such variant; use one of: main, warm.\n"
    )
    bare = kbsync("eval", "--kb", str(kb), "--variant", "warm")
    assert bare.exit_code == 1
    assert bare.stderr == (
        "error: --variant warm changes the instructions, which only answers use; add --answers.\n"
    )
