from __future__ import annotations

import pytest

from kbcore.formats import MIME_TYPES, SUPPORTED_EXTENSIONS, TEXT_EXTENSIONS, mime_type


def test_the_supported_extensions_are_openais_table() -> None:
    """The 21 extensions of OpenAI's "Supported files" table for file search."""
    assert sorted(SUPPORTED_EXTENSIONS) == [
        ".c", ".cpp", ".cs", ".css", ".doc", ".docx", ".go", ".html", ".java", ".js", ".json",
        ".md", ".pdf", ".php", ".pptx", ".py", ".rb", ".sh", ".tex", ".ts", ".txt",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("en/prices.md", "text/markdown"),
        ("pool-rules.PDF", "application/pdf"),
        ("terms.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("deck.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("old.doc", "application/msword"),
        ("main.go", "text/x-golang"),
        ("a.cpp", "text/x-c++"),
        ("a.cs", "text/x-csharp"),
        ("tool.py", "text/x-python"),
        ("x.ts", "application/typescript"),
        ("run.sh", "application/x-sh"),
        ("paper.tex", "text/x-tex"),
        ("v1.2/notes.txt", "text/plain"),
    ],
)
def test_mime_type_by_extension(name: str, mime: str) -> None:
    assert mime_type(name) == mime


def test_text_formats_have_text_or_script_types() -> None:
    for ext in TEXT_EXTENSIONS:
        assert MIME_TYPES[ext].startswith(
            ("text/", "application/json", "application/x-sh", "application/typescript")
        )


@pytest.mark.parametrize("name", ["a.exe", "Makefile", "dir.md/file"])
def test_unsupported_names_raise(name: str) -> None:
    with pytest.raises(KeyError):
        mime_type(name)
