from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kbcore.errors import KbError
from kbcore.formats import MAX_FILE_BYTES
from kbcore.kb import Document, load_kb, load_spec
from tests.kbcore._kb_trees import make_kb

SUPPORTED = (
    ".c, .cpp, .cs, .css, .doc, .docx, .go, .html, .java, .js, .json, .md, .pdf, .php,"
    " .pptx, .py, .rb, .sh, .tex, .ts, .txt"
)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def problems_of(kb: Path) -> list[str]:
    with pytest.raises(KbError) as caught:
        load_kb(kb)
    return caught.value.problems


def test_loads_documents_sorted_with_sizes_and_hashes(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"b.md": "bee\n", "a/z.txt": "zed\n", "a.pdf": b"%PDF-\xff\xfe"})
    loaded = load_kb(kb)
    assert [d.path for d in loaded.documents] == ["a.pdf", "a/z.txt", "b.md"]
    first = loaded.documents[0]
    assert first == Document(
        "a.pdf",
        (kb / "files" / "a.pdf").absolute(),
        7,
        hashlib.sha256(b"%PDF-\xff\xfe").hexdigest(),
        "a",
    )
    assert loaded.total_bytes == 15
    assert loaded.spec.instructions == "Answer briefly, from the documents."
    assert loaded.spec.name == tmp_path.name
    assert loaded.settings.model == "gpt-5.4-mini"


def test_no_files_folder_means_no_documents(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {})
    (kb / "files").rmdir()
    assert load_kb(kb).documents == ()


def test_unsupported_extension(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"notes.xyz": "x"})
    assert problems_of(kb) == [
        f'kb/files/notes.xyz: file_search does not support ".xyz" files; convert it to one of:'
        f" {SUPPORTED}, or exclude it in kb/assistant.yaml (files.exclude)."
    ]


def test_extension_is_matched_case_insensitively(tmp_path: Path) -> None:
    assert [d.path for d in load_kb(make_kb(tmp_path, {"A.MD": "x"})).documents] == ["A.MD"]


def test_no_extension(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"README": "x"})
    assert problems_of(kb) == [
        f"kb/files/README: has no extension and file_search needs one of: {SUPPORTED};"
        " rename it or exclude it in kb/assistant.yaml (files.exclude)."
    ]


def test_file_over_512_mb(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {})
    with open(kb / "files" / "big.pdf", "wb") as sparse:
        sparse.truncate(600 * 1024 * 1024)
    assert MAX_FILE_BYTES == 512 * 1024 * 1024
    assert problems_of(kb) == [
        "kb/files/big.pdf: is 600 MiB, over the 512 MiB file_search limit;"
        " split it or exclude it in kb/assistant.yaml (files.exclude)."
    ]


def test_empty_file(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"empty.md": ""})
    assert problems_of(kb) == ["kb/files/empty.md: is empty; add content or delete it."]


def test_git_lfs_pointer(tmp_path: Path) -> None:
    pointer = (
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    kb = make_kb(tmp_path, {"guide.pdf": pointer})
    assert problems_of(kb) == [
        "kb/files/guide.pdf: is a Git LFS pointer, not the document; run git lfs pull."
    ]


def test_link_outside_files_is_refused(tmp_path: Path) -> None:
    # Issue 12 item 1: a link is refused wherever it points (tests/kbcore/test_symlinks.py).
    kb = make_kb(tmp_path)
    (tmp_path / "secret.md").write_text("s")
    (kb / "files" / "leak.md").symlink_to(tmp_path / "secret.md")
    assert problems_of(kb) == [
        f"kb/files/leak.md: is a symbolic link to {tmp_path / 'secret.md'}; replace it with a"
        " regular file (kbsync reads nothing through links)."
    ]


def test_link_to_a_folder_outside_is_refused(tmp_path: Path) -> None:
    kb = make_kb(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (kb / "files" / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert problems_of(kb) == [
        f"kb/files/more: is a symbolic link to {tmp_path / 'elsewhere'}; replace it with a"
        " regular folder (kbsync reads nothing through links)."
    ]


def test_path_longer_than_an_attribute_value(tmp_path: Path) -> None:
    rel = "/".join(["d" * 200, "e" * 200, "f" * 110 + ".md"])
    assert len(rel) == 515
    kb = make_kb(tmp_path, {rel: "x"})
    assert problems_of(kb) == [
        f"kb/files/{rel}: the path is 515 characters, over the 512 that the kb_path attribute"
        " can hold; shorten it."
    ]


def test_more_than_13_user_attributes(tmp_path: Path) -> None:
    many = ", ".join(f"k{i:02}: v" for i in range(14))
    kb = make_kb(tmp_path, settings=f'attributes:\n  "*.md": {{{many}}}\n')
    names = ", ".join(f"k{i:02}" for i in range(14))
    assert problems_of(kb) == [
        f"kb/files/a.md: has 14 user attributes ({names}), over the 13 a file can carry"
        " (16 minus kb_path, kb_sha256 and kb_title); remove some from attributes in"
        " kb/assistant.yaml."
    ]


def test_13_user_attributes_are_allowed(tmp_path: Path) -> None:
    many = ", ".join(f"k{i:02}: v" for i in range(13))
    kb = make_kb(tmp_path, settings=f'attributes:\n  "*.md": {{{many}}}\n')
    assert len(load_kb(kb).documents[0].attributes) == 13


def test_invalid_attribute_is_refused_with_its_line(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, settings='attributes:\n  "*.md":\n    kb_path: x\n')
    assert problems_of(kb) == [
        'kb/assistant.yaml:3: attribute "kb_path" in attributes["*.md"]: the kb_ prefix is'
        " reserved for kbsync; rename it."
    ]


def test_latin1_text_is_refused(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"menu.txt": "café au lait\n".encode("latin-1")})
    assert problems_of(kb) == [
        "kb/files/menu.txt: is not UTF-8 or UTF-16 text (invalid UTF-8 byte 0xe9 at offset 3);"
        " re-save it as UTF-8."
    ]


def test_utf16_and_utf8_with_bom_are_accepted(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        "le.txt": "привет\n".encode("utf-16"),
        "be.md": b"\xfe\xff" + "мир\n".encode("utf-16-be"),
        "bom.md": "\ufeffcafé\n".encode(),
        "binary.pdf": b"%PDF-1.7 \xe9\xff",
    }
    loaded = load_kb(make_kb(tmp_path, files))
    assert [d.path for d in loaded.documents] == ["be.md", "binary.pdf", "bom.md", "le.txt"]


def test_dotfiles_and_dot_folders_are_ignored(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        "a.md": "a",
        ".hidden.md": "h",
        ".DS_Store": b"\x00",
        ".git/config.md": "c",
        "sub/.cache/x.md": "x",
        "sub/b.md": "b",
    }
    assert [d.path for d in load_kb(make_kb(tmp_path, files)).documents] == ["a.md", "sub/b.md"]


def test_exclude_globs_apply_with_git_rules(tmp_path: Path) -> None:
    files = {
        "a.md": "a",
        "drafts/old.md": "d",
        "en/drafts/wip.md": "w",
        "en/drafts/keep.md": "k",
        "scratch.tmp": "t",
        "en/page.md": "p",
        "build/out.md": "o",
        "docs/build/x.md": "x",
    }
    settings = (
        "files:\n  exclude:\n"
        '    - "**/drafts/**"\n'
        '    - "!en/drafts/keep.md"\n'
        '    - "*.tmp"\n'
        '    - "/build/"\n'
    )
    loaded = load_kb(make_kb(tmp_path, files, settings=settings))
    assert [d.path for d in loaded.documents] == [
        "a.md",
        "docs/build/x.md",
        "en/drafts/keep.md",
        "en/page.md",
    ]


def test_attributes_merge_in_file_order_later_wins(tmp_path: Path) -> None:
    settings = (
        "attributes:\n"
        '  "**": {source: site, lang: en}\n'
        '  "ru/**": {lang: ru}\n'
        '  "*.pdf": {kind: pdf, lang: any}\n'
    )
    files = {"a.md": "a", "ru/b.md": "b", "ru/c.pdf": "c"}
    docs = load_kb(make_kb(tmp_path, files, settings=settings)).by_path()
    assert docs["a.md"].attributes == {"source": "site", "lang": "en"}
    assert docs["ru/b.md"].attributes == {"source": "site", "lang": "ru"}
    assert docs["ru/c.pdf"].attributes == {"source": "site", "lang": "any", "kind": "pdf"}


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    files: dict[str, bytes | str] = {
        "ok.md": "fine",
        "empty.md": "",
        "bad.exe": "x",
        "latin.txt": b"\xe9t\xe9",
    }
    kb = make_kb(tmp_path, files, settings="modle: x\n", instructions="  \n")
    with pytest.raises(KbError) as caught:
        load_kb(kb)
    assert caught.value.problems == [
        'kb/assistant.yaml:1: unknown key "modle"; expected one of: name, model, temperature,'
        " max_output_tokens, file_search, chunking, files, attributes, reasoning, sources,"
        " starters, leads, handoff, telegram, variants.",
        "kb/instructions.md: is empty; write the assistant's instructions in it.",
        f'kb/files/bad.exe: file_search does not support ".exe" files; convert it to one of:'
        f" {SUPPORTED}, or exclude it in kb/assistant.yaml (files.exclude).",
        "kb/files/empty.md: is empty; add content or delete it.",
        "kb/files/latin.txt: is not UTF-8 or UTF-16 text (invalid UTF-8 byte 0xe9 at offset 0);"
        " re-save it as UTF-8.",
    ]
    assert str(caught.value).startswith("5 problems in the knowledge base:\n  kb/assistant.yaml:1:")


def test_missing_kb_folder(tmp_path: Path) -> None:
    with pytest.raises(KbError) as caught:
        load_spec(tmp_path / "nope")
    assert caught.value.problems == [
        "nope: the knowledge base folder does not exist; pass --kb DIR or set KB_DIR."
    ]


def test_missing_instructions(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, instructions=None)
    assert problems_of(kb) == [
        "kb/instructions.md: is missing; create it with the assistant's instructions."
    ]


def test_instructions_not_utf8(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, instructions="Réponds.".encode("latin-1"))
    assert problems_of(kb) == [
        "kb/instructions.md: is not UTF-8 text (invalid byte at offset 1); re-save it as UTF-8."
    ]


def test_paths_outside_the_current_folder_are_shown_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = make_kb(tmp_path, {"e.md": ""})
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert problems_of(kb) == [f"{kb}/files/e.md: is empty; add content or delete it."]


def test_load_spec_reads_only_instructions_and_settings(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {"bad.exe": "x"}, settings="model: gpt-x\ntemperature: 0.2\n")
    spec = load_spec(kb)
    assert (spec.model, spec.temperature, spec.name) == ("gpt-x", 0.2, tmp_path.name)
    assert spec.digest == load_spec(kb).digest


def test_workers_and_progress(tmp_path: Path) -> None:
    files = {f"f{i:03}.txt": f"file {i}\n" * (i + 1) for i in range(40)}
    kb = make_kb(tmp_path, files)
    seen: list[tuple[int, int]] = []
    single = load_kb(kb, workers=1)
    many = load_kb(kb, workers=4, on_hashed=lambda done, total: seen.append((done, total)))
    assert single == many
    total = single.total_bytes
    assert len(seen) == 40
    assert seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_files_must_be_a_folder(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {})
    (kb / "files").rmdir()
    (kb / "files").write_text("oops")
    assert problems_of(kb) == ["kb/files: is not a folder; make it the folder of the documents."]


def test_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    kb = make_kb(tmp_path, {})
    try:
        with open(os.path.join(os.fsencode(kb / "files"), b"caf\xe9.md"), "wb") as out:
            out.write(b"x")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    assert problems_of(kb) == ["kb/files/caf\\udce9.md: the name is not valid UTF-8; rename it."]


def test_a_file_in_an_excluded_folder_cannot_be_re_included(tmp_path: Path) -> None:
    # git's rule: "drafts/" prunes the folder, so "!drafts/keep.md" has nothing to re-include
    files = {"a.md": "a", "drafts/keep.md": "k", "drafts/x.md": "x"}
    settings = 'files:\n  exclude: ["drafts/", "!drafts/keep.md"]\n'
    loaded = load_kb(make_kb(tmp_path, files, settings=settings))
    assert [d.path for d in loaded.documents] == ["a.md"]


def test_excluded_problem_files_are_not_problems(tmp_path: Path) -> None:
    files = {"a.md": "a", "raw/data.csv": "1,2", "notes/empty.md": ""}
    settings = 'files:\n  exclude: ["*.csv", "notes/"]\n'
    kb = make_kb(tmp_path, files, settings=settings)
    assert [d.path for d in load_kb(kb).documents] == ["a.md"]


def test_kb_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "kb").write_text("not a folder")
    with pytest.raises(KbError) as caught:
        load_spec(tmp_path / "kb")
    assert caught.value.problems == [
        "kb: is a file, not the knowledge base folder; pass --kb DIR or set KB_DIR."
    ]
