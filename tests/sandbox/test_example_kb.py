"""The extractive model on the example KB (``kb/``): it answers the KB's own golden
questions well enough to demo the product, and still says "no answer" to the rest."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from sandbox._answer import NO_ANSWER
from testing.sandbox import API_KEY, reset
from testing.servers import Server
from tests.kbsync._helpers import kbsync, stores

EXAMPLE_KB = Path(__file__).resolve().parents[2] / "kb"
MIN_ANSWERED = 30

OUT_OF_SCOPE = [
    "What's the weather in Kazan tomorrow?",
    "Who won the football world cup?",
    "Can you recommend a good pizza place nearby?",
    "How do I reset my iPhone password?",
    "Can I bring my laptop?",
    "Is there a climbing wall?",
    "Какая погода будет завтра в Казани?",
    "Как приготовить борщ?",
    "Сколько стоит билет на самолёт до Москвы?",
    "Есть ли у вас теннисный корт?",
    "Можно ли прийти с попугаем?",
    "Есть ли у вас солярий?",
]


@pytest.fixture(scope="module")
def example(
    sandbox_live: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, str]]:
    """A copy of ``kb/`` synced to a clean sandbox, and its vector store's id (once for
    the module: the tests here only read)."""
    reset(sandbox_live)
    work = tmp_path_factory.mktemp("example")
    kb = Path(shutil.copytree(EXAMPLE_KB, work / "kb"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        patch.setenv("OPENAI_BASE_URL", sandbox_live.url + "/v1")
        patch.setenv("OPENAI_API_KEY", API_KEY)
        patch.setenv("CI", "true")
        result = kbsync("--kb", str(kb), "--yes")
        assert result.exit_code == 0, result.output
        (store,) = stores(sandbox_live)
        yield kb, str(store["id"])


def test_eval_answers_on_the_example_kb(
    example: tuple[Path, str], sandbox_live: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, _ = example
    monkeypatch.chdir(kb.parent)
    monkeypatch.setenv("OPENAI_BASE_URL", sandbox_live.url + "/v1")
    monkeypatch.setenv("CI", "true")
    result = kbsync("eval", "--kb", str(kb), "--answers", "--json")
    assert result.stdout, result.stderr
    document = json.loads(result.stdout)
    answered = [q["q"] for q in document["questions"] if q["answer"]["ok"]]
    missed = [(q["q"], q["answer"]) for q in document["questions"] if not q["answer"]["ok"]]
    assert len(document["questions"]) == 35
    assert len(answered) >= MIN_ANSWERED, missed
    # the question a newcomer tried first
    assert "Can I bring my dog?" in answered


def _client(sandbox_live: Server) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=API_KEY, base_url=sandbox_live.url + "/v1", max_retries=0, timeout=10
    )


def _ask(sandbox_live: Server, store_id: str, question: str) -> Any:
    return _client(sandbox_live).responses.create(
        model="gpt-5.4-mini",
        input=question,
        tools=[{"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 8}],
    )


def test_the_dog_question_quotes_the_rule_and_cites_it(
    example: tuple[Path, str], sandbox_live: Server
) -> None:
    response = _ask(sandbox_live, example[1], "Can I bring my dog?")
    assert "Pets are not allowed in the club." in response.output_text
    listed = _client(sandbox_live).vector_stores.files.list(example[1], limit=100)
    kb_path = {f.id: (f.attributes or {}).get("kb_path") for f in listed}
    cited = [kb_path[a.file_id] for a in response.output[-1].content[0].annotations]
    assert cited[0] == "en/rules.md"


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_questions_get_no_answer(
    example: tuple[Path, str], sandbox_live: Server, question: str
) -> None:
    response = _ask(sandbox_live, example[1], question)
    language = "ru" if any("а" <= ch <= "я" for ch in question.lower()) else "en"
    assert response.output_text == NO_ANSWER[language]
    assert response.output[-1].content[0].annotations == []
