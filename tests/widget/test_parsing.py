"""The widget against a scripted relay: SSE framing edge cases, Markdown, transport failures."""

from __future__ import annotations

from typing import Any

import pytest

from testing.servers import free_port
from tests.widget import _ui as ui
from tests.widget._fake_relay import FakeRelay, Reply, event

pytestmark = pytest.mark.browser

SOURCE = {"file_id": "file-1", "filename": "hours.md", "path": "club/hours.md"}


def split_bytes(text: str, size: int) -> list[bytes]:
    data = text.encode()
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_events_split_across_chunks_with_crlf_and_comments(new_page: Any, relay: FakeRelay) -> None:
    stream = (
        ": keep-alive\r\n\r\n"
        + event("conversation", {"conversation": "tok-1"}, "\r\n")
        + event("delta", {"text": "We open at "}, "\r\n")
        + ": keep-alive\r\n\r\n"
        + event("delta", {"text": "6:30 — «рано» 🙂"}, "\r\n")
        + event("source", SOURCE, "\r\n")
        + event("source", SOURCE, "\n")
        + event("done", {"response_id": "resp_1", "usage": {}}, "\r")
    )
    # 7-byte pieces cut through field names, JSON, CRLF pairs and multi-byte characters.
    relay.replies.append(Reply(chunks=split_bytes(stream, 7), pause=0.002))
    second = event("conversation", {"conversation": "tok-1"}) + event("delta", {"text": "Yes."})
    relay.replies.append(Reply(chunks=[(second + event("done", {})).encode()]))

    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "When do you open?")
    ui.wait_idle(page)
    answer = ui.answers(page).first
    assert answer.locator(".t").inner_text() == "We open at 6:30 — «рано» 🙂"
    assert answer.locator(".s li").all_inner_texts() == ["hours.md"]
    assert answer.locator(".s li").get_attribute("title") == "club/hours.md"
    assert ui.notices(page).count() == 0
    assert ui.stored(page)["token"] == "tok-1"

    ui.ask(page, "Really?")
    ui.wait_idle(page)
    assert ui.answers(page).nth(1).locator(".t").inner_text() == "Yes."
    assert relay.bodies == [
        {"message": "When do you open?"},
        {"message": "Really?", "conversation": "tok-1"},
    ]


MARKDOWN = """Intro with **bold**, *italic* and `code <b>`.

- first [site](https://example.org/a?b=1)
- second <b>not bold</b>

1. one
2. two

```
<script>window.__pwned = 1</script>
```
[bad](javascript:window.__pwned=1) [mail](mailto:desk@example.org) https://example.org/x."""


def test_markdown_subset_is_built_from_dom_nodes(new_page: Any, relay: FakeRelay) -> None:
    stream = event("delta", {"text": MARKDOWN}) + event("done", {})
    relay.replies.append(Reply(chunks=[stream.encode()]))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "markdown please")
    ui.wait_idle(page)
    body = ui.answers(page).first.locator(".t")
    assert body.locator("strong").first.inner_text() == "bold"
    assert body.locator("em").inner_text() == "italic"
    assert body.locator("p code").inner_text() == "code <b>"
    assert body.locator("ul li").count() == 2
    assert body.locator("ol li").all_inner_texts() == ["one", "two"]
    assert body.locator("pre code").inner_text() == "<script>window.__pwned = 1</script>"
    assert body.locator("b, script").count() == 0
    links = body.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "https://example.org/a?b=1",
        "mailto:desk@example.org",
        "https://example.org/x",
    ]
    for i in range(links.count()):
        assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert links.nth(i).get_attribute("target") == "_blank"
    assert "[bad](javascript:window.__pwned=1)" in body.inner_text()
    assert page.evaluate("window.__pwned") is None


def test_connection_lost_mid_stream_keeps_partial_and_retries(
    new_page: Any, relay: FakeRelay
) -> None:
    cut = event("conversation", {"conversation": "tok-2"}) + event("delta", {"text": "Half an"})
    relay.replies.append(Reply(chunks=[cut.encode()]))
    whole = event("delta", {"text": "A whole answer."}) + event("done", {})
    relay.replies.append(Reply(chunks=[whole.encode()]))

    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Tell me")
    ui.wait_idle(page)
    assert ui.answers(page).first.locator(".t").inner_text() == "Half an"
    assert "connection was lost" in ui.notices(page).inner_text()

    ui.notices(page).get_by_role("button", name="Retry").click()
    ui.wait_idle(page)
    assert ui.answers(page).locator(".t").all_inner_texts() == ["A whole answer."]
    assert ui.notices(page).count() == 0
    assert relay.bodies[1] == {"message": "Tell me", "conversation": "tok-2"}


def test_unreachable_relay_says_so(new_page: Any, relay: FakeRelay) -> None:
    page = new_page()
    dead = f"http://127.0.0.1:{free_port()}/api"
    ui.serve_page(page, relay.url + "/dead", ui.host_page(api=dead))
    ui.open_chat(page, relay.url + "/dead")
    ui.ask(page, "Anyone there?")
    ui.wait_idle(page)
    assert "Cannot reach the assistant" in ui.notices(page).inner_text()
    assert ui.notices(page).get_by_role("button", name="Retry").is_visible()


@pytest.mark.parametrize(
    ("status", "headers", "text"),
    [
        (429, {"Retry-After": "120"}, "Please wait 2 min and try again."),
        (429, {}, "Please wait a moment"),
        (503, {}, "busy right now"),
        (413, {}, "too long"),
        (502, {}, "Something went wrong"),
    ],
)
def test_errors_before_the_stream(
    new_page: Any, relay: FakeRelay, status: int, headers: dict[str, str], text: str
) -> None:
    relay.replies.append(Reply(status=status, headers=headers))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Hello?")
    ui.wait_idle(page)
    assert text in ui.notices(page).inner_text()
    assert ui.answers(page).count() == 0


def test_a_token_that_no_longer_verifies_starts_a_new_conversation(
    new_page: Any, relay: FakeRelay
) -> None:
    first = event("conversation", {"conversation": "tok-old"}) + event("delta", {"text": "One."})
    relay.replies.append(Reply(chunks=[(first + event("done", {})).encode()]))
    relay.replies.append(Reply(status=400, code="invalid_conversation"))
    fresh = event("conversation", {"conversation": "tok-new"}) + event("delta", {"text": "Two."})
    relay.replies.append(Reply(chunks=[(fresh + event("done", {})).encode()]))

    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    assert ui.answers(page).locator(".t").all_inner_texts() == ["One.", "Two."]
    assert ui.notices(page).count() == 0
    assert relay.bodies == [
        {"message": "One?"},
        {"message": "Two?", "conversation": "tok-old"},
        {"message": "Two?"},
    ]
    assert ui.stored(page)["token"] == "tok-new"


def test_error_event_mid_stream_keeps_the_partial_answer(new_page: Any, relay: FakeRelay) -> None:
    stream = event("delta", {"text": "Partial"}) + event(
        "error", {"code": "upstream_timeout", "message": "The model took too long."}
    )
    relay.replies.append(Reply(chunks=[stream.encode()]))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Slow?")
    ui.wait_idle(page)
    assert ui.answers(page).locator(".t").all_inner_texts() == ["Partial"]
    # upstream_timeout: "busy" in kbcore.errorcodes
    assert "The assistant is busy right now." in ui.notices(page).inner_text()
    assert ui.stored(page)["msgs"][-1]["st"] == "err"


LINK_TRICKS = [
    "[a](javascript:window.__pwned=1)",
    "[b](JaVaScRiPt:window.__pwned=1)",
    "[c](java\tscript:window.__pwned=1)",
    "[d]( javascript:window.__pwned=1 )",
    "[e](data:text/html,<script>window.__pwned=1</script>)",
    "[f](vbscript:window.__pwned=1)",
    "[g](//evil.example/x)",
    "[h](&#106;avascript:window.__pwned=1)",
    "![i](x onerror=window.__pwned=1)",
    "![j](javascript:window.__pwned=1)",
    "<img src=x onerror=window.__pwned=1>",
    "<a href=javascript:window.__pwned=1>k</a>",
    "**[l](javascript:window.__pwned=1)**",
    "[[m](javascript:window.__pwned=1)](https://example.org)",
]


def test_link_tricks_never_become_links(new_page: Any, relay: FakeRelay) -> None:
    text = "\n\n".join(LINK_TRICKS)
    relay.replies.append(
        Reply(chunks=[(event("delta", {"text": text}) + event("done", {})).encode()])
    )
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "tricks")
    ui.wait_idle(page)
    body = ui.answers(page).first.locator(".t")
    hrefs = body.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert all(href.startswith("https://example.org") for href in hrefs), hrefs
    assert body.locator("img, script, svg").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    shown = body.inner_text()
    assert "<img src=x onerror=window.__pwned=1>" in shown
    assert "![i](x onerror=window.__pwned=1)" in shown


def test_reload_mid_stream_keeps_the_partial_answer_and_offers_retry(
    new_page: Any, relay: FakeRelay
) -> None:
    slow = [event("delta", {"text": f"word{i} "}).encode() for i in range(100)]
    relay.replies.append(Reply(chunks=slow, pause=0.1))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Long one?")
    page.locator("kb-chat .m.b[aria-busy=true] .t p").wait_for()
    page.wait_for_timeout(300)
    page.reload()
    ui.textarea(page).wait_for(state="visible")
    assert ui.answers(page).locator(".t").inner_text().startswith("word0 word1")
    assert "connection was lost" in ui.notices(page).inner_text()
    assert ui.notices(page).get_by_role("button", name="Retry").is_enabled()


def test_new_chat_while_streaming_drops_the_answer(new_page: Any, relay: FakeRelay) -> None:
    slow = [event("conversation", {"conversation": "tok-3"}).encode()]
    slow += [event("delta", {"text": f"word{i} "}).encode() for i in range(60)]
    relay.replies.append(Reply(chunks=slow, pause=0.05))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Long one?")
    page.locator("kb-chat .m.b[aria-busy=true] .t p").wait_for()
    page.get_by_role("button", name="New chat").click()
    ui.wait_idle(page)
    page.wait_for_timeout(300)
    assert page.locator("kb-chat .log > *").count() == 1
    assert ui.stored(page) == {"token": None, "msgs": [], "open": True, "cfg": {}}
