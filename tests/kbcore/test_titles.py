from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from kbcore._titles import HEAD_BYTES, TITLE_MAX, title_of
from kbcore.kb import load_kb
from tests.kbcore._kb_trees import make_kb


def title(tmp_path: Path, rel: str, content: bytes | str) -> str:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return title_of(path, rel)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Prices\n\nText.\n", "Prices"),
        ("Intro line\n\n## Second level first\n# Later\n", "Second level first"),
        ("   ### Indented three ###   \n", "Indented three"),
        ("# C# for beginners\n", "C# for beginners"),
        ("Club Santé prices\n=================\n\nBody\n", "Club Santé prices"),
        ("Правила бассейна\n---\n", "Правила бассейна"),
        ("---\ntitle: front\nlang: en\n---\n# Real heading\n", "Real heading"),
        ("```sh\n# not a heading\n```\n# After the code\n", "After the code"),
        ("~~~\n# no\n~~~\n\nPara\n===\n", "Para"),
        ("#hashtag only\n\n# Yes\n", "Yes"),
        ("- item\n---\n# Heading\n", "Heading"),
        ("    # indented code\n# Heading\n", "Heading"),
        ("# [Prices](https://x.org) for **2026** and `members`\n", "Prices for 2026 and members"),
        ("# The my_var_name setting\n", "The my_var_name setting"),
        ("#   Lots    of \t space   \n", "Lots of space"),
    ],
)
def test_markdown_first_heading(tmp_path: Path, text: str, expected: str) -> None:
    assert title(tmp_path, "en/doc.md", text) == expected


def test_markdown_utf16_with_bom(tmp_path: Path) -> None:
    assert title(tmp_path, "a.md", "# Расписание\n".encode("utf-16")) == "Расписание"


@pytest.mark.parametrize(
    "text", ["No heading at all.\n", "#\n", "", "---\nonly: front matter\n---\n"]
)
def test_markdown_without_heading_falls_back_to_the_name(tmp_path: Path, text: str) -> None:
    assert title(tmp_path, "ru/opening hours.v2.md", text) == "opening hours.v2"


def test_only_the_head_of_a_text_file_is_read(tmp_path: Path) -> None:
    text = "word " * (HEAD_BYTES // 5 + 10) + "\n# Too far down\n"
    assert title(tmp_path, "big.md", text) == "big"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<html><head><title>Prices &amp; plans</title></head><h1>Other</h1>", "Prices & plans"),
        ("<body><h1 class=x>Club <em>Santé</em></h1><h1>Second</h1></body>", "Club Santé"),
        ("<title>  \n </title><h1>From h1</h1>", "From h1"),
        ("<TITLE>Upper\ncase</TITLE>", "Upper case"),
        ("<p>No title here</p>", "page"),
        ("<title>Unclosed <b", "Unclosed"),
    ],
)
def test_html_title_else_first_h1(tmp_path: Path, html: str, expected: str) -> None:
    assert title(tmp_path, "page.html", html) == expected


def pdf_bytes(meta_title: str | None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    if meta_title is not None:
        writer.add_metadata({"/Title": meta_title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_title_property(tmp_path: Path) -> None:
    assert title(tmp_path, "pool-rules.pdf", pdf_bytes("Правила бассейна / Pool rules")) == (
        "Правила бассейна / Pool rules"
    )


@pytest.mark.parametrize("content", [pdf_bytes(None), pdf_bytes(""), b"%PDF-1.4 broken"])
def test_pdf_without_a_title_falls_back(tmp_path: Path, content: bytes) -> None:
    assert title(tmp_path, "pool-rules.pdf", content) == "pool-rules"


def docx_bytes(meta_title: str | None) -> bytes:
    document = docx.Document()
    document.add_paragraph("Body text")
    if meta_title is not None:
        document.core_properties.title = meta_title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_title_property(tmp_path: Path) -> None:
    assert title(tmp_path, "terms.docx", docx_bytes("Membership terms")) == "Membership terms"


@pytest.mark.parametrize("content", [docx_bytes(None), b"PK\x03\x04 not a zip"])
def test_docx_without_a_title_falls_back(tmp_path: Path, content: bytes) -> None:
    assert title(tmp_path, "terms.docx", content) == "terms"


RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="{target}"/></Relationships>'
)
CORE = (
    '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
    '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>{title}</dc:title></cp:coreProperties>"
)


def pptx_bytes(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ppt/slides/slide1.xml", "<p:sld/>")
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_pptx_title_from_the_core_part_its_rels_name(tmp_path: Path) -> None:
    content = pptx_bytes(
        {
            "_rels/.rels": RELS.format(target="/meta/props.xml"),
            "meta/props.xml": CORE.format(title="Timetable &amp; coaches"),
            "docProps/core.xml": CORE.format(title="Not this one"),
        }
    )
    assert title(tmp_path, "deck.pptx", content) == "Timetable & coaches"


def test_pptx_without_rels_reads_docprops(tmp_path: Path) -> None:
    content = pptx_bytes({"docProps/core.xml": CORE.format(title="Slides")})
    assert title(tmp_path, "deck.pptx", content) == "Slides"


def test_an_oversized_core_part_is_not_read(tmp_path: Path) -> None:
    padding = "<!--" + " " * (2 * 1024 * 1024) + "-->"  # compresses to a few kB
    content = pptx_bytes({"docProps/core.xml": CORE.format(title="Bomb") + padding})
    assert len(content) < 64 * 1024
    assert title(tmp_path, "deck.pptx", content) == "deck"


def test_entity_expansion_in_core_part_does_not_explode(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + ']><cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:title>&i;</dc:title></cp:coreProperties>"
    )
    assert title(tmp_path, "deck.pptx", pptx_bytes({"docProps/core.xml": laughs})) == "deck"


def test_long_titles_are_cut_and_control_characters_dropped(tmp_path: Path) -> None:
    long = title(tmp_path, "a.md", "# " + "é" * 600 + "\n")
    assert long == "é" * TITLE_MAX
    assert title(tmp_path, "b.html", "<title>A\x00B\u200bC\tD</title>") == "A BC D"


@pytest.mark.parametrize("rel", ["notes.txt", "main.py", "old.doc", "data.json"])
def test_other_formats_use_the_file_name(tmp_path: Path, rel: str) -> None:
    assert title(tmp_path, rel, "# Looks like a heading\n") == rel.rsplit(".", 1)[0]


def test_loaded_documents_carry_their_titles(tmp_path: Path) -> None:
    kb = make_kb(
        tmp_path,
        {
            "en/prices.md": "# Prices\n",
            "ru/prices.md": "Цены\n====\n",
            "terms.docx": docx_bytes("Membership terms"),
            "rules.pdf": pdf_bytes("Pool rules"),
            "notes.txt": "plain",
        },
    )
    titles = {d.path: d.title for d in load_kb(kb).documents}
    assert titles == {
        "en/prices.md": "Prices",
        "notes.txt": "notes",
        "rules.pdf": "Pool rules",
        "ru/prices.md": "Цены",
        "terms.docx": "Membership terms",
    }


def test_every_example_document_has_its_own_title() -> None:
    example = Path(__file__).resolve().parents[2] / "kb"
    documents = load_kb(example).documents
    assert len(documents) == 12
    for document in documents:
        assert document.title != Path(document.path).stem, document.path
        assert "Club Santé" in document.title, document.path
    titles = [d.title for d in documents]
    assert len(set(titles)) == len(titles)  # en/ and ru/ versions can be told apart


@pytest.mark.parametrize("rel", ["leak.md", "leak.html", "leak.pdf", "leak.docx"])
def test_a_link_swapped_in_is_not_read_for_the_title(tmp_path: Path, rel: str) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# SECRET=value\n<title>SECRET</title>\n")
    (tmp_path / rel).symlink_to(secret)
    assert title_of(tmp_path / rel, rel) == "leak"
