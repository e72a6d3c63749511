"""Source chips against a scripted relay: the document's title, a link only for http(s) URLs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.widget import _ui as ui
from tests.widget._fake_relay import FakeRelay, Reply, event

pytestmark = pytest.mark.browser

PRICES_EN = {
    "file_id": "file-en",
    "filename": "prices.md",
    "path": "en/prices.md",
    "title": "Membership prices",
    "url": "https://club.example/docs/en/prices.md",
}
PRICES_RU = {
    "file_id": "file-ru",
    "filename": "prices.md",
    "path": "ru/prices.md",
    "title": "Цены на абонементы",
    "url": None,
}


def answer_with(relay: FakeRelay, *sources: dict[str, Any]) -> None:
    stream = event("delta", {"text": "See the documents."})
    stream += "".join(event("source", source) for source in sources)
    stream += event("done", {"response_id": "resp_1", "usage": {}, "incomplete": None})
    relay.replies.append(Reply(chunks=[stream.encode()]))


def chips(page: Any) -> Any:
    return ui.answers(page).last.locator(".s li")


def test_a_chip_is_a_link_with_the_title(new_page: Any, relay: FakeRelay) -> None:
    answer_with(relay, PRICES_EN, PRICES_RU)
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "How much?")
    ui.wait_idle(page)
    # Two documents with the same file name are told apart by their titles.
    assert chips(page).all_inner_texts() == ["Membership prices", "Цены на абонементы"]
    assert [chips(page).nth(i).get_attribute("title") for i in range(2)] == [
        "en/prices.md",
        "ru/prices.md",
    ]
    link = page.get_by_role("link", name="Membership prices")
    assert link.get_attribute("href") == PRICES_EN["url"]
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert chips(page).nth(1).locator("a").count() == 0  # url null: plain text

    # The chips survive a reload exactly as they were.
    page.reload()
    ui.textarea(page).wait_for(state="visible")
    assert (
        page.get_by_role("link", name="Membership prices").get_attribute("href")
        == (PRICES_EN["url"])
    )
    assert chips(page).nth(1).locator("a").count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "javascript:window.__pwned=1",
        "JaVaScRiPt:window.__pwned=1",
        " javascript:window.__pwned=1",
        "data:text/html,<script>window.__pwned=1</script>",
        "/docs/en/prices.md",
        "//evil.example/x",
        "mailto:desk@example.org",
        "ftp://club.example/prices.md",
        "",
    ],
)
def test_a_url_that_is_not_http_is_not_a_link(new_page: Any, relay: FakeRelay, url: str) -> None:
    answer_with(relay, {**PRICES_EN, "url": url})
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "How much?")
    ui.wait_idle(page)
    assert chips(page).all_inner_texts() == ["Membership prices"]
    assert ui.answers(page).last.locator("a").count() == 0
    chips(page).first.click()  # a click on plain text runs nothing
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_source_without_a_title_shows_its_file_name(new_page: Any, relay: FakeRelay) -> None:
    # A relay from before titles (or a document without one) still gives a readable chip.
    old = {"file_id": "file-1", "filename": "hours.md", "path": "club/hours.md"}
    answer_with(relay, old, {**old, "file_id": "file-2", "filename": "", "path": "a/b.md"})
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "When?")
    ui.wait_idle(page)
    assert chips(page).all_inner_texts() == ["hours.md", "a/b.md"]
    assert ui.answers(page).last.locator("a").count() == 0


def test_chips_are_styled_under_a_strict_csp(new_page: Any, relay: FakeRelay) -> None:
    """No 'unsafe-inline', no 'unsafe-eval', no style-src at all: the widget's styles come
    from a constructed stylesheet, which the page's style-src does not govern."""
    answer_with(relay, PRICES_EN)
    page = new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))
    csp = f"default-src 'none'; script-src {relay.url}/widget.js; connect-src {relay.url}/api/"
    ui.serve_page(page, relay.url + "/csp", ui.host_page(), {"Content-Security-Policy": csp})
    ui.open_chat(page, relay.url + "/csp")
    ui.ask(page, "How much?")
    ui.wait_idle(page)
    chip = chips(page).first
    assert chip.evaluate("li => getComputedStyle(li).borderTopLeftRadius") == "999px"
    assert page.get_by_role("link", name="Membership prices").is_visible()
    assert [text for text in violations if "Content Security Policy" in text] == []
