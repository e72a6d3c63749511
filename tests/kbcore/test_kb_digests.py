from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from kbcore.kb import load_kb, load_spec
from tests.kbcore._kb_trees import make_kb

SETTINGS = (
    "name: clubsante\n"
    "model: gpt-5.4-mini\n"
    "temperature: 0.3\n"
    "max_output_tokens: 1024\n"
    "file_search: {max_num_results: 8}\n"
    "chunking: {max_chunk_size_tokens: 800, chunk_overlap_tokens: 400}\n"
    'files: {exclude: ["**/drafts/**"]}\n'
    'attributes: {"ru/**": {lang: ru}}\n'
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_spec_digest_is_the_documented_canonical_json(tmp_path: Path) -> None:
    spec = load_spec(make_kb(tmp_path, settings=SETTINGS))
    canonical = json.dumps(
        {
            "instructions": "Answer briefly, from the documents.",
            "model": "gpt-5.4-mini",
            "temperature": 0.3,
            "max_output_tokens": 1024,
            "max_num_results": 8,
            "chunking": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            "attributes": [["ru/**", {"lang": "ru"}]],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert spec.digest == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("model: gpt-5.4-mini", "model: gpt-5.4"),
        ("temperature: 0.3", "temperature: 0.4"),
        ("max_output_tokens: 1024", "max_output_tokens: 1000"),
        ("max_num_results: 8", "max_num_results: 9"),
        ("chunk_overlap_tokens: 400", "chunk_overlap_tokens: 300"),
        ("{lang: ru}", "{lang: uk}"),
        ('"ru/**"', '"uk/**"'),
    ],
)
def test_spec_digest_changes_with_each_setting(tmp_path: Path, old: str, new: str) -> None:
    kb = make_kb(tmp_path, settings=SETTINGS)
    before = load_spec(kb).digest
    assert old in SETTINGS
    (kb / "assistant.yaml").write_text(SETTINGS.replace(old, new))
    assert load_spec(kb).digest != before


def test_reasoning_and_sources_enter_the_digest_only_when_set(tmp_path: Path) -> None:
    extra = "reasoning: {effort: none}\nsources: {url: 'https://x.org/{path}'}\n"
    spec = load_spec(make_kb(tmp_path, settings=SETTINGS + extra))
    without = load_spec(make_kb(tmp_path / "without", settings=SETTINGS))
    doc = {
        "instructions": "Answer briefly, from the documents.",
        "model": "gpt-5.4-mini",
        "temperature": 0.3,
        "max_output_tokens": 1024,
        "max_num_results": 8,
        "chunking": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
        "attributes": [["ru/**", {"lang": "ru"}]],
    }
    assert without.digest == _sha(doc)  # a KB without them keeps its digest
    assert spec.digest == _sha(
        {**doc, "reasoning_effort": "none", "source_url": "https://x.org/{path}"}
    )


def _sha(doc: dict[str, object]) -> str:
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(
    "extra",
    [
        "reasoning: {effort: none}\n",
        "sources: {url: 'https://x.org/{path}'}\n",
    ],
)
def test_spec_digest_changes_with_reasoning_and_sources(tmp_path: Path, extra: str) -> None:
    kb = make_kb(tmp_path, settings=SETTINGS)
    before = load_spec(kb).digest
    (kb / "assistant.yaml").write_text(SETTINGS + extra)
    after = load_spec(kb).digest
    assert after != before
    # another effort (without temperature, which gpt-5.4-mini takes only with none)
    sampled = SETTINGS.replace("temperature: 0.3\n", "")
    (kb / "assistant.yaml").write_text(sampled + extra)
    other = load_spec(kb).digest
    (kb / "assistant.yaml").write_text(
        sampled + extra.replace("none", "high").replace("x.org", "y.org")
    )
    assert load_spec(kb).digest not in (before, after, other)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("name: clubsante", "name: other"),
        ('"**/drafts/**"', '"*.tmp"'),
        ("temperature: 0.3", "temperature: 0.30"),
        ("file_search: {max_num_results: 8}", "file_search:\n  max_num_results: 8"),
    ],
)
def test_spec_digest_ignores_identity_exclude_and_formatting(
    tmp_path: Path, old: str, new: str
) -> None:
    kb = make_kb(tmp_path, settings=SETTINGS)
    before = load_spec(kb).digest
    (kb / "assistant.yaml").write_text(SETTINGS.replace(old, new))
    assert load_spec(kb).digest == before


def test_spec_digest_follows_instructions_but_not_surrounding_blank_space(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, instructions="Be brief.\n")
    before = load_spec(kb).digest
    (kb / "instructions.md").write_text("\n\nBe brief.\n\n\n")
    assert load_spec(kb).digest == before
    (kb / "instructions.md").write_text("Be very brief.\n")
    assert load_spec(kb).digest != before


def test_files_digest_is_sha256_of_sorted_path_sha_lines(tmp_path: Path) -> None:
    loaded = load_kb(make_kb(tmp_path, {"b.md": "B", "a.md": "A"}))
    lines = "".join(
        f"{path}:{hashlib.sha256(data).hexdigest()}\n"
        for path, data in [("a.md", b"A"), ("b.md", b"B")]
    )
    assert loaded.files_digest == hashlib.sha256(lines.encode()).hexdigest()


def test_files_digest_is_stable_and_changes_with_bytes_paths_and_set(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"a.md": "A", "b.md": "B"})
    first = load_kb(kb).files_digest
    assert load_kb(kb, workers=1).files_digest == first
    (kb / "assistant.yaml").write_text("model: gpt-x\ntemperature: 1\n")
    assert load_kb(kb).files_digest == first
    (kb / "files" / "a.md").write_text("A2")
    changed = load_kb(kb).files_digest
    assert changed != first
    (kb / "files" / "a.md").rename(kb / "files" / "c.md")
    moved = load_kb(kb).files_digest
    assert moved not in (first, changed)
    (kb / "files" / "c.md").unlink()
    assert load_kb(kb).files_digest not in (first, changed, moved)


def test_empty_knowledge_base_digest(tmp_path: Path) -> None:
    assert load_kb(make_kb(tmp_path, {})).files_digest == hashlib.sha256(b"").hexdigest()
