from __future__ import annotations

import pytest

from kbcore._ignore import Excluder, compile_pattern


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        ("*.tmp", "a.tmp", False, True),
        ("*.tmp", "deep/down/a.tmp", False, True),
        ("*.tmp", "a.tmp.md", False, False),
        ("a?.md", "ab.md", False, True),
        ("a?.md", "a/.md", False, False),
        ("/top.md", "top.md", False, True),
        ("/top.md", "sub/top.md", False, False),
        ("sub/top.md", "sub/top.md", False, True),
        ("sub/top.md", "x/sub/top.md", False, False),
        ("drafts/", "drafts", True, True),
        ("drafts/", "en/drafts", True, True),
        ("drafts/", "drafts", False, False),
        ("**/drafts/**", "drafts/a.md", False, True),
        ("**/drafts/**", "en/drafts/deep/a.md", False, True),
        ("**/drafts/**", "drafts", True, False),
        ("**/drafts/**", "mydrafts/a.md", False, False),
        ("docs/**/*.md", "docs/a.md", False, True),
        ("docs/**/*.md", "docs/x/y/a.md", False, True),
        ("docs/**/*.md", "other/docs/a.md", False, False),
        ("docs/*.md", "docs/x/a.md", False, False),
        ("**/a.md", "a.md", False, True),
        ("**/a.md", "x/y/a.md", False, True),
        ("ru/**", "ru/b.md", False, True),
        ("ru/**", "ru", True, False),
        ("**", "anything/at/all.md", False, True),
        ("[ab].md", "a.md", False, True),
        ("[!ab].md", "a.md", False, False),
        ("[!ab].md", "c.md", False, True),
        ("[a-c]*.md", "beta.md", False, True),
        ("\\!important.md", "!important.md", False, True),
        ("a+b(1).md", "a+b(1).md", False, True),
        ("a+b(1).md", "aab1.md", False, False),
    ],
)
def test_pattern(pattern: str, path: str, is_dir: bool, expected: bool) -> None:
    assert compile_pattern(pattern).matches(path, is_dir=is_dir) is expected


def test_last_match_wins_and_negation_re_includes() -> None:
    rules = Excluder(["**/drafts/**", "!**/drafts/keep.md", "drafts/keep.md"])
    assert rules.excluded("en/drafts/a.md")
    assert not rules.excluded("en/drafts/keep.md")
    assert rules.excluded("drafts/keep.md")
    assert not rules.excluded("en/page.md")


def test_empty_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="is empty"):
        compile_pattern(" / ")
