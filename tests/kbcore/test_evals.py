from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kbcore.errors import KbError
from kbcore.evals import EvalCase, load_evals
from kbcore.kb import load_kb
from kbsync.cli import main
from tests.kbcore._kb_trees import make_kb

DOCS = {"en/prices.md": "# Prices\n", "ru/prices.md": "# Цены\n", "drafts/new.md": "# New\n"}
SETTINGS = 'files:\n  exclude: ["drafts/"]\n'


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)


def cases_of(tmp_path: Path, text: str | None) -> tuple[EvalCase, ...]:
    kb = make_kb(tmp_path, DOCS, settings=SETTINGS)
    if text is not None:
        (kb / "evals.yaml").write_text(text, encoding="utf-8")
    return load_evals(load_kb(kb))


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(KbError) as caught:
        cases_of(tmp_path, text)
    return caught.value.problems


def test_every_key(tmp_path: Path) -> None:
    text = (
        "- q: How much is a monthly membership?\n"
        "  expect: [en/prices.md]\n"
        "- q: Сколько стоит  разовое посещение?\n"
        "  expect: [ru/prices.md, en/prices.md]\n"
        "  k: 3\n"
        '  says: ["1 500", 17:00, 2024]\n'
    )
    assert cases_of(tmp_path, text) == (
        EvalCase("How much is a monthly membership?", ("en/prices.md",)),
        EvalCase(
            "Сколько стоит разовое посещение?",
            ("ru/prices.md", "en/prices.md"),
            k=3,
            says=("1 500", "17:00", "2024"),
        ),
    )


@pytest.mark.parametrize("text", [None, "", "# nothing yet\n", "~\n", "[]\n"])
def test_absent_or_empty_file_means_no_cases(tmp_path: Path, text: str | None) -> None:
    assert cases_of(tmp_path, text) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "q: a\nexpect: [en/prices.md]",
            "2: the golden questions must be a list, one item per question"
            ' ("- q: …" with its "expect: [path]"), not a mapping.',
        ),
        (
            "- just a question",
            '2: question 1 must be a mapping (key: value), not "just a question".',
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  answer: yes",
            '4: unknown key "answer" under question 1; expected one of: q, expect, k, says.',
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  q: b",
            '4: key "q" appears twice (first on line 2); keep one.',
        ),
        (
            "- expect: [en/prices.md]",
            "2: question 1 has no q; write the question as a visitor would ask it.",
        ),
        (
            "- q:\n  expect: [en/prices.md]",
            "2: question 1 has no q; write the question as a visitor would ask it.",
        ),
        ("- q: [a, b]\n  expect: [en/prices.md]", "2: q must be the question as text, not a list."),
        (
            "- q: '  '\n  expect: [en/prices.md]",
            "2: q is blank; write the question as a visitor would ask it.",
        ),
        (
            f"- q: {'x' * 2001}\n  expect: [en/prices.md]",
            "2: q is 2001 characters, over the 2000 allowed; shorten it.",
        ),
        (
            "- q: a",
            "2: question 1 has no expect; list the documents that answer it"
            " (kb paths under kb/files/, e.g. [en/prices.md]).",
        ),
        (
            "- q: a\n  expect: en/prices.md",
            '3: expect must be a list of document paths (e.g. [en/prices.md]), not "en/prices.md".',
        ),
        ("- q: a\n  expect: []", "3: expect is an empty list; name at least one document."),
        (
            "- q: a\n  expect: [{path: x}]",
            "3: expect entries must be document paths (text), not a mapping.",
        ),
        (
            "- q: a\n  expect: [en/price.md]",
            '3: expect "en/price.md" is not a document of the knowledge base;'
            ' did you mean "en/prices.md"?',
        ),
        (
            "- q: a\n  expect: [kb/files/ru/prices.md]",
            '3: expect "kb/files/ru/prices.md" is not a document of the knowledge base;'
            ' did you mean "ru/prices.md"?',
        ),
        (
            "- q: a\n  expect: [contacts.docx]",
            '3: expect "contacts.docx" is not a document of the knowledge base;'
            " write its path under kb/files/.",
        ),
        (
            "- q: a\n  expect: [drafts/new.md]",
            '3: expect "drafts/new.md" is excluded by files.exclude in kb/assistant.yaml;'
            " expect a document that is sent, or stop excluding this one.",
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  k: 0",
            "4: k must be a whole number from 1 to 50, not 0.",
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  k: 51",
            "4: k must be a whole number from 1 to 50, not 51.",
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  k: three",
            '4: k must be a whole number from 1 to 50, not "three".',
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  says: 7 500",
            '4: says must be a list of phrases (e.g. ["7 500"]), not "7 500".',
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  says: ['ok', [x]]",
            "4: says entries must be phrases (text), not a list.",
        ),
        (
            "- q: a\n  expect: [en/prices.md]\n  says: ['']",
            '4: says entries must be phrases (text), not "".',
        ),
        (
            "- q: Same  question\n  expect: [en/prices.md]\n"
            "- q: Same question\n  expect: [en/prices.md]",
            '4: question 2 repeats the question on line 2 ("Same question"); keep one.',
        ),
        (
            "- q: a\n  expect: [en/prices.md\n",
            "5: invalid YAML: expected ',' or ']', but got '<stream end>'; fix the syntax.",
        ),
    ],
)
def test_each_problem_names_its_line(tmp_path: Path, text: str, message: str) -> None:
    assert problems_of(tmp_path, "# golden questions\n" + text + "\n") == [
        f"kb/evals.yaml:{message}"
    ]


def test_every_problem_at_once_in_file_order(tmp_path: Path) -> None:
    text = (
        "- q: first\n"
        "  expect: [drafts/new.md]\n"
        "  k: 99\n"
        "- expect: [en/prices.md]\n"
        "  colour: blue\n"
        "- q: fine\n"
        "  expect: [en/prices.md]\n"
    )
    assert problems_of(tmp_path, text) == [
        'kb/evals.yaml:2: expect "drafts/new.md" is excluded by files.exclude in'
        " kb/assistant.yaml; expect a document that is sent, or stop excluding this one.",
        "kb/evals.yaml:3: k must be a whole number from 1 to 50, not 99.",
        "kb/evals.yaml:4: question 2 has no q; write the question as a visitor would ask it.",
        'kb/evals.yaml:5: unknown key "colour" under question 2; expected one of: q, expect, k,'
        " says.",
    ]


def test_a_file_in_an_excluded_folder_by_glob_is_named_as_excluded(tmp_path: Path) -> None:
    kb = make_kb(
        tmp_path,
        {"a.md": "a", "en/drafts/x.md": "x"},
        settings=('files:\n  exclude: ["**/drafts/**"]\n'),
    )
    (kb / "evals.yaml").write_text("- q: x\n  expect: [en/drafts/x.md]\n")
    with pytest.raises(KbError) as caught:
        load_evals(load_kb(kb))
    assert caught.value.problems == [
        'kb/evals.yaml:2: expect "en/drafts/x.md" is excluded by files.exclude in'
        " kb/assistant.yaml; expect a document that is sent, or stop excluding this one."
    ]


def test_not_utf8(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, DOCS, settings=SETTINGS)
    (kb / "evals.yaml").write_bytes("- q: caf\xe9\n".encode("latin-1"))
    with pytest.raises(KbError) as caught:
        load_evals(load_kb(kb))
    assert caught.value.problems == [
        "kb/evals.yaml: is not UTF-8 text (invalid byte at offset 8); re-save it as UTF-8."
    ]


def test_validate_checks_evals(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, DOCS, settings=SETTINGS)
    (kb / "evals.yaml").write_text("- q: a\n  expect: [en/prices.md]\n- q: b\n  expect: [x.md]\n")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 1
    assert outcome.stderr == (
        'error: kb/evals.yaml:4: expect "x.md" is not a document of the knowledge base;'
        " write its path under kb/files/.\n"
    )
    (kb / "evals.yaml").write_text("- q: a\n  expect: [en/prices.md]\n")
    outcome = CliRunner().invoke(main, ["validate"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stdout == (
        "kb/ is valid: 2 documents, 20 B, model gpt-5.4-mini, 1 golden question\n"
    )


EXAMPLE = Path(__file__).resolve().parents[2] / "kb"


def test_the_example_evals_cover_every_document_in_both_languages() -> None:
    kb = load_kb(EXAMPLE)
    cases = load_evals(kb)
    assert len(cases) >= 24
    covered = {path for case in cases for path in case.expect}
    assert covered == {d.path for d in kb.documents}
    cyrillic = [c for c in cases if any("а" <= ch <= "я" for ch in c.q.lower())]
    assert len(cyrillic) >= 10
    assert len(cases) - len(cyrillic) >= 10


def test_the_example_says_phrases_are_in_an_expected_document() -> None:
    """A ``says`` phrase no expected document contains could never be checked honestly."""
    kb = load_kb(EXAMPLE)
    texts = {d.path: _text(d.abs_path) for d in kb.documents}
    for case in load_evals(kb):
        for phrase in case.says:
            assert any(phrase in texts[path] for path in case.expect), (case.q, phrase)


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    return path.read_text(encoding="utf-8")
