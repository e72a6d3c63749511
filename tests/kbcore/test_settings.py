from __future__ import annotations

from pathlib import Path

import pytest

from kbcore.errors import KbError
from kbcore.kb import Chunking, Settings, load_kb, load_spec
from tests.kbcore._kb_trees import make_kb

TOP_KEYS = (
    "name, model, temperature, max_output_tokens, file_search, chunking, files, attributes,"
    " reasoning, sources, starters, leads, handoff, telegram, variants"
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def settings_of(tmp_path: Path, text: str | None) -> Settings:
    return load_kb(make_kb(tmp_path, settings=text)).settings


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(KbError) as caught:
        load_spec(make_kb(tmp_path, settings=text))
    return caught.value.problems


def test_defaults_without_a_settings_file(tmp_path: Path) -> None:
    assert settings_of(tmp_path, None) == Settings(name=tmp_path.name)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "~\n"])
def test_empty_settings_file_means_defaults(tmp_path: Path, text: str) -> None:
    assert settings_of(tmp_path, text) == Settings(name=tmp_path.name)


def test_every_key(tmp_path: Path) -> None:
    text = (
        "name: clubsante\n"
        "model: gpt-5.4\n"
        "temperature: 1\n"
        "max_output_tokens: 1024\n"
        "file_search:\n  max_num_results: 50\n"
        "chunking:\n  max_chunk_size_tokens: 800\n  chunk_overlap_tokens: 400\n"
        "files:\n  exclude: ['**/drafts/**', '!keep.md']\n"
        "attributes:\n"
        '  "ru/**": {lang: ru, year: 2024, draft: yes, version: 1.10, since: 2024-01-31}\n'
        '  "*.pdf": {kind: "pdf"}\n'
        "reasoning:\n  effort: low\n"
        "sources:\n  url: https://club.example/docs/{path}?from=chat\n"
    )
    assert settings_of(tmp_path, text) == Settings(
        name="clubsante",
        model="gpt-5.4",
        temperature=1.0,
        max_output_tokens=1024,
        max_num_results=50,
        chunking=Chunking(max_chunk_size_tokens=800, chunk_overlap_tokens=400),
        exclude=("**/drafts/**", "!keep.md"),
        attributes=(
            (
                "ru/**",
                {
                    "lang": "ru",
                    "year": "2024",
                    "draft": "yes",
                    "version": "1.10",
                    "since": "2024-01-31",
                },
            ),
            ("*.pdf", {"kind": "pdf"}),
        ),
        reasoning_effort="low",
        source_url="https://club.example/docs/{path}?from=chat",
    )


def test_null_values_mean_the_default(tmp_path: Path) -> None:
    text = "model:\ntemperature: ~\nfiles:\n  exclude:\nreasoning: {effort: ~}\nsources:\n"
    assert settings_of(tmp_path, text) == Settings(name=tmp_path.name)


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    text = "name: site\nmodel: gpt-5.4-mini\n\nmodle: gpt-5.4\n"
    assert problems_of(tmp_path, text) == [
        f'kb/assistant.yaml:4: unknown key "modle"; expected one of: {TOP_KEYS}.'
    ]


def test_unknown_nested_keys(tmp_path: Path) -> None:
    text = "file_search:\n  max_results: 3\nchunking:\n  size: 3\nfiles:\n  include: [a]\n"
    assert problems_of(tmp_path, text) == [
        'kb/assistant.yaml:2: unknown key "max_results" under file_search;'
        " expected one of: max_num_results.",
        "kb/assistant.yaml:3: chunking needs both max_chunk_size_tokens and"
        ' chunk_overlap_tokens (remove chunking to use OpenAI\'s "auto").',
        'kb/assistant.yaml:4: unknown key "size" under chunking;'
        " expected one of: max_chunk_size_tokens, chunk_overlap_tokens.",
        'kb/assistant.yaml:6: unknown key "include" under files; expected one of: exclude.',
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: 12", "name must be text of 1 to 64 characters, not 12."),
        ("name: ''", 'name must be text of 1 to 64 characters, not "".'),
        ("model: [a, b]", "model must be text of 1 to 256 characters, not a list."),
        ("temperature: hot", 'temperature must be a number from 0 to 2, not "hot".'),
        ("temperature: 2.5", "temperature must be a number from 0 to 2, not 2.5."),
        ("temperature: -1", "temperature must be a number from 0 to 2, not -1."),
        ("temperature: .nan", "temperature must be a number from 0 to 2, not .nan."),
        ("temperature: true", "temperature must be a number from 0 to 2, not true."),
        ("max_output_tokens: 0", "max_output_tokens must be a whole number of at least 16, not 0."),
        (
            "max_output_tokens: 10.5",
            "max_output_tokens must be a whole number of at least 16, not 10.5.",
        ),
        (
            "max_output_tokens: '100'",
            'max_output_tokens must be a whole number of at least 16, not "100".',
        ),
        ("file_search: 8", "file_search must be a mapping (key: value), not 8."),
        (
            "file_search: {max_num_results: 51}",
            "file_search.max_num_results must be a whole number from 1 to 50, not 51.",
        ),
        (
            "chunking: {max_chunk_size_tokens: 99, chunk_overlap_tokens: 0}",
            "chunking.max_chunk_size_tokens must be a whole number from 100 to 4096, not 99.",
        ),
        (
            "chunking: {max_chunk_size_tokens: 4097, chunk_overlap_tokens: 0}",
            "chunking.max_chunk_size_tokens must be a whole number from 100 to 4096, not 4097.",
        ),
        (
            "chunking: {max_chunk_size_tokens: 800, chunk_overlap_tokens: -1}",
            "chunking.chunk_overlap_tokens must be a whole number of at least 0, not -1.",
        ),
        (
            "chunking: {max_chunk_size_tokens: 800, chunk_overlap_tokens: 401}",
            "chunking.chunk_overlap_tokens must be at most half of max_chunk_size_tokens (400),"
            " not 401.",
        ),
        ("files: [a]", "files must be a mapping (key: value), not a list."),
        ("files: {exclude: '*.tmp'}", 'files.exclude must be a list of globs, not "*.tmp".'),
        ("files: {exclude: [1]}", "files.exclude entries must be globs (text), not 1."),
        (
            "files: {exclude: ['/']}",
            'files.exclude glob "/" is empty; write a pattern or remove it.',
        ),
        ("attributes: [a]", "attributes must be a mapping (key: value), not a list."),
        ("attributes: {'*.md': x}", 'attributes["*.md"] must be a mapping (key: value), not "x".'),
        (
            "attributes: {'!*.md': {a: b}}",
            'attributes glob "!*.md" cannot be negated; drop the "!".',
        ),
        (
            "attributes: {'*.md': {kb_lang: ru}}",
            'attribute "kb_lang" in attributes["*.md"]: the kb_ prefix is reserved for kbsync;'
            " rename it.",
        ),
        (
            f"attributes: {{'*.md': {{{'k' * 65}: v}}}}",
            f'attribute "{"k" * 65}" in attributes["*.md"]: the name is 65 characters, over the'
            " 64 allowed; shorten it.",
        ),
        (
            f"attributes: {{'*.md': {{k: {'v' * 513}}}}}",
            'attribute "k" in attributes["*.md"]: the value is 513 characters, over the 512'
            " allowed; shorten it.",
        ),
        (
            "attributes: {'*.md': {k: [a, b]}}",
            'attribute "k" in attributes["*.md"] must be text, a number or a boolean, not a list.',
        ),
        (
            "attributes: {'*.md': {'': v}}",
            'an attribute in attributes["*.md"] has an empty name; name it.',
        ),
        (
            "attributes: {'*.md': {a: b}, '*.md': {c: d}}",
            'attributes glob "*.md" appears twice (first on line 2); merge them into one.',
        ),
        (
            "reasoning: {effort: extreme}",
            "reasoning.effort must be one of: none, minimal, low, medium, high, xhigh,"
            ' not "extreme".',
        ),
        ("reasoning: low", 'reasoning must be a mapping (key: value), not "low".'),
        (
            "sources: {url: [a]}",
            "sources.url must be a web address (text), not a list.",
        ),
        (
            "sources: {url: 'javascript:alert(1)//{path}'}",
            'sources.url "javascript:alert(1)//{path}" must be an http:// or https:// address'
            " with a host and no spaces; write the public address where a visitor reads the"
            " documents.",
        ),
        (
            "sources: {url: 'data:text/html,{path}'}",
            'sources.url "data:text/html,{path}" must be an http:// or https:// address'
            " with a host and no spaces; write the public address where a visitor reads the"
            " documents.",
        ),
        (
            "sources: {url: '/docs/{path}'}",
            'sources.url "/docs/{path}" must be an http:// or https:// address'
            " with a host and no spaces; write the public address where a visitor reads the"
            " documents.",
        ),
        (
            "sources: {url: ' https://x.org/{path}'}",
            'sources.url " https://x.org/{path}" must be an http:// or https:// address'
            " with a host and no spaces; write the public address where a visitor reads the"
            " documents.",
        ),
        (
            "sources: {url: 'https://x.org/docs/'}",
            'sources.url "https://x.org/docs/" must contain {path} where the document\'s path'
            ' goes, e.g. "https://example.com/docs/{path}".',
        ),
        (
            "sources: {link: 'https://x.org/{path}'}",
            'unknown key "link" under sources; expected one of: url.',
        ),
        (
            "attributes: {'*.md': {k: null}}",
            'attribute "k" in attributes["*.md"] must be text, a number or a boolean, not empty.',
        ),
    ],
)
def test_wrong_type_or_value_names_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    assert problems_of(tmp_path, "# settings\n" + text + "\n") == [
        f"kb/assistant.yaml:2: {message}"
    ]


def test_a_mapping_is_required_at_the_top(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "- model\n- name\n") == [
        "kb/assistant.yaml:1: the settings file must be a mapping (key: value), not a list."
    ]


def test_duplicate_key(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "model: a\nname: n\nmodel: b\n") == [
        'kb/assistant.yaml:3: key "model" appears twice (first on line 1); keep one.'
    ]


def test_invalid_yaml_names_its_line(tmp_path: Path) -> None:
    text = "name: site\nmodel: gpt\n  temperature: 0.2\n"
    assert problems_of(tmp_path, text) == [
        "kb/assistant.yaml:3: invalid YAML: mapping values are not allowed here; fix the syntax."
    ]


def test_unclosed_bracket_names_its_line(tmp_path: Path) -> None:
    text = "files:\n  exclude: [a, b\nmodel: x\n"
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("kb/assistant.yaml:3: invalid YAML: ")
    assert problems[0].endswith("; fix the syntax.")


def test_settings_not_utf8(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (kb / "assistant.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(KbError) as caught:
        load_spec(kb)
    assert caught.value.problems == [
        "kb/assistant.yaml: is not UTF-8 text (invalid byte at offset 9); re-save it as UTF-8."
    ]


def test_every_settings_problem_at_once(tmp_path: Path) -> None:
    text = "modle: x\ntemperature: 3\nfile_search: {max_num_results: 0}\nname: n\nname: m\n"
    assert problems_of(tmp_path, text) == [
        f'kb/assistant.yaml:1: unknown key "modle"; expected one of: {TOP_KEYS}.',
        "kb/assistant.yaml:2: temperature must be a number from 0 to 2, not 3.",
        "kb/assistant.yaml:3: file_search.max_num_results must be a whole number from 1 to 50,"
        " not 0.",
        'kb/assistant.yaml:5: key "name" appears twice (first on line 4); keep one.',
    ]


def test_a_broken_exclude_skips_the_file_checks(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"x.tmp": "x"}, settings="files: {exclude: '*.tmp'}\n")
    with pytest.raises(KbError) as caught:
        load_kb(kb)
    assert caught.value.problems == [
        'kb/assistant.yaml:1: files.exclude must be a list of globs, not "*.tmp".'
    ]


def test_https_addresses_in_any_case_are_accepted(tmp_path: Path) -> None:
    text = "sources: {url: 'HTTPS://Club.Example/docs/{path}'}\n"
    assert settings_of(tmp_path, text).source_url == "HTTPS://Club.Example/docs/{path}"


def test_reasoning_and_sources_reach_the_spec(tmp_path: Path) -> None:
    text = "reasoning: {effort: high}\nsources: {url: 'http://localhost:8080/{path}'}\n"
    spec = load_spec(make_kb(tmp_path, settings=text))
    assert (spec.reasoning_effort, spec.source_url) == ("high", "http://localhost:8080/{path}")
    bare = load_spec(make_kb(tmp_path / "bare"))
    assert (bare.reasoning_effort, bare.source_url) == (None, None)
