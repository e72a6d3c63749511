"""How the extractive model reads, in-process: the thesaurus, typos, times of day,
numbered titles of PDF/DOCX text, the question's language, and the rewritten query."""

from __future__ import annotations

from typing import Any

from sandbox._answer import NO_ANSWER, compose
from sandbox._concepts import concepts, rewrite, terms, with_typos
from sandbox._layout import blocks

RULES = """# Club rules

## Health and safety

- Smoking, including e-cigarettes, is forbidden in the whole building.
- Pets are not allowed in the club.

## Guests

A member may bring a guest twice a month. Guests bring a passport.

## Parking

Members park free for the first 3 hours.
"""
BILINGUAL = """Правила бассейна
1. Бассейн
1.1. Основной бассейн: глубина 1,4–1,9 м, температура воды 27–28 °C.

Pool rules
1. The pools
1.1. Main pool: depth 1.4–1.9 m, water temperature 27–28 °C.
"""
SCHEDULE = "# Schedule\n\n## Tuesday\n\n- Yoga Flow at 07:00 in Studio 2.\n- Pilates at 18:30.\n"


def _hit(text: str, file_id: str = "file-1", filename: str = "rules.md") -> dict[str, Any]:
    return {"file_id": file_id, "filename": filename, "score": 0.5, "content": [{"text": text}]}


def test_a_paraphrase_finds_the_rule_and_is_quoted() -> None:
    [dog] = concepts("Can I bring my dog?")[1:]
    assert dog.found_in(terms("Pets are not allowed in the club."))
    answer = compose("Can I bring my dog?", [_hit(RULES)])
    assert "Pets are not allowed in the club." in answer.text
    vape = compose("Можно ли курить вейп?", [_hit(RULES)])
    assert vape.text == NO_ANSWER["ru"]  # the rules are in English only: not quoted


def test_a_typo_one_letter_off_matches_the_document_word() -> None:
    [card] = [c for c in concepts("абонимент на год") if c.word == "абонимент"]
    widened = with_typos(card, frozenset({"абонемент", "год"}))
    assert widened.found_in(frozenset({"абонемент"}))
    assert not card.found_in(frozenset({"абонемент"}))


def test_morning_matches_a_clock_time_before_noon() -> None:
    assert "@morning" in terms("Yoga Flow at 07:00 in Studio 2.")
    assert "@evening" in terms("Pilates at 18:30.")
    answer = compose("Is there yoga early in the morning?", [_hit(SCHEDULE)])
    assert answer.text.startswith("Yoga Flow at 07:00")


def test_numbered_titles_head_their_items_and_the_language_is_kept() -> None:
    found = blocks(BILINGUAL)
    assert [(b.text[:20], b.context) for b in found if b.text.startswith(("Основной", "Main"))] == [
        ("Основной бассейн: гл", "Бассейн"),
        ("Main pool: depth 1.4", "The pools"),
    ]
    russian = compose("Какая глубина бассейна?", [_hit(BILINGUAL, filename="pool.pdf")])
    assert russian.text.startswith("Основной бассейн: глубина 1,4–1,9 м")
    english = compose("how deep is the main pool", [_hit(BILINGUAL, filename="pool.pdf")])
    assert english.text.startswith("Main pool: depth 1.4–1.9 m")


def test_out_of_scope_words_keep_it_honest() -> None:
    for question in ("Can I bring my laptop?", "Where can I park a helicopter?"):
        assert compose(question, [_hit(RULES)]).text == NO_ANSWER["en"]


def test_the_search_query_gains_synonyms_in_the_question_language() -> None:
    query = rewrite("Can I bring my dog?")
    assert query.startswith("Can I bring my dog? ")
    assert "pets" in query.split()
    assert "собака" not in query
    assert "собака" in rewrite("Можно с собакой?")
