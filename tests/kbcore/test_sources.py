from __future__ import annotations

import pytest

from kbcore.kb import source_url

TEMPLATE = "https://club.example/docs/{path}"


@pytest.mark.parametrize(
    ("kb_path", "url"),
    [
        ("en/prices.md", "https://club.example/docs/en/prices.md"),
        ("en/price list.md", "https://club.example/docs/en/price%20list.md"),
        ("ru/цены.md", "https://club.example/docs/ru/%D1%86%D0%B5%D0%BD%D1%8B.md"),
        ("a/b/c d/ё.pdf", "https://club.example/docs/a/b/c%20d/%D1%91.pdf"),
        ("50%?#&=+.md", "https://club.example/docs/50%25%3F%23%26%3D%2B.md"),
        ("ok-_.~.md", "https://club.example/docs/ok-_.~.md"),
    ],
)
def test_path_is_encoded_per_segment(kb_path: str, url: str) -> None:
    assert source_url(TEMPLATE, kb_path) == url


def test_placeholder_anywhere_and_more_than_once() -> None:
    template = "https://x.org/view?doc={path}&back={path}"
    assert (
        source_url(template, "ru/a b.md") == "https://x.org/view?doc=ru/a%20b.md&back=ru/a%20b.md"
    )
