"""The extractive model and the delta splitter, in-process (no server)."""

from __future__ import annotations

from typing import Any

from sandbox._answer import NO_ANSWER, NO_KNOWLEDGE_BASE, compose, language
from sandbox._layout import blocks, sentences
from sandbox._run import _deltas

PRICES = """# Prices

## Memberships

| Membership | 1 month | 3 months |
|---|---|---|
| Full Day | 7 500 ₽ | 18 900 ₽ |

A towel is included only in the 12-month
membership. Everyone else can rent a towel for 150 ₽ per visit.

- **Daytime**: on weekdays from 06:30 to 17:00 (you must leave the club by
  17:00).
"""


def _hit(text: str, file_id: str = "file-1", filename: str = "prices.md") -> dict[str, Any]:
    return {"file_id": file_id, "filename": filename, "score": 0.5, "content": [{"text": text}]}


def test_blocks_join_wrapped_lines_and_spell_out_table_rows() -> None:
    found = blocks(PRICES)
    assert [block.text for block in found] == [
        "Full Day — 1 month: 7 500 ₽; 3 months: 18 900 ₽",
        "A towel is included only in the 12-month membership. Everyone else can rent a towel "
        "for 150 ₽ per visit.",
        "Daytime: on weekdays from 06:30 to 17:00 (you must leave the club by 17:00).",
    ]
    assert found[0].context == "Memberships Membership 1 month 3 months"
    assert {block.section for block in found} == {2}
    assert sentences(found[1].text) == [
        "A towel is included only in the 12-month membership.",
        "Everyone else can rent a towel for 150 ₽ per visit.",
    ]


def test_compose_quotes_and_cites_at_the_end_of_the_passage() -> None:
    answer = compose("How much does it cost to rent a towel?", [_hit(PRICES)])
    assert "rent a towel for 150 ₽" in answer.text
    [citation] = answer.citations
    assert citation.index == len(answer.text)
    assert citation.annotation() == {
        "type": "file_citation",
        "file_id": "file-1",
        "filename": "prices.md",
        "index": len(answer.text),
    }


def test_second_passage_only_when_it_answers_more() -> None:
    hours = _hit("The club is open at weekends from 9:00 to 21:00.", "file-2", "schedule.md")
    both = compose("Towel rental, and when is the club open at weekends?", [_hit(PRICES), hours])
    assert [c.filename for c in both.citations] == ["schedule.md", "prices.md"]
    first_end = both.citations[0].index
    assert both.text[first_end : first_end + 2] == "\n\n"
    only = compose("When is the club open at weekends?", [hours, _hit(PRICES)])
    assert [c.filename for c in only.citations] == ["schedule.md"]


def test_no_answer_and_no_knowledge_base_in_the_question_language() -> None:
    assert compose("What is the meaning of life?", [_hit(PRICES)]).text == NO_ANSWER["en"]
    assert compose("Есть ли теннисный корт?", []).text == NO_ANSWER["ru"]
    assert compose("Кто ты?", None).text == NO_KNOWLEDGE_BASE["ru"]
    assert compose("Who are you?", None).citations == []
    assert (language("Привет, club"), language("Hello")) == ("ru", "en")


def test_deltas_are_a_few_words_and_end_at_every_citation() -> None:
    text = "One two three four five. Six seven eight."
    stop = len("One two three four five.")
    deltas = _deltas(text, [stop])
    assert "".join(deltas) == text
    assert all(len(delta.split()) <= 3 for delta in deltas)
    ends = [sum(map(len, deltas[: n + 1])) for n in range(len(deltas))]
    assert stop in ends
    assert _deltas("", []) == []
