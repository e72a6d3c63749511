"""The widget on the demo page, against the real relay and sandbox: the conversation itself."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.widget import _ui as ui
from tests.widget._fake_relay import fake_relay
from tests.widget.conftest import Live, NewPage, StartRelay

pytestmark = pytest.mark.browser

HOURS = "When is the club open on Saturday?"
HISTORY = "Tell me the history of the club"


def chat_bodies(page: Any) -> list[dict[str, Any]]:
    """Record the JSON bodies the widget POSTs to /api/chat."""
    bodies: list[dict[str, Any]] = []

    def record(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/api/chat"):
            bodies.append(json.loads(request.post_data))

    page.on("request", record)
    return bodies


def test_answer_streams_with_sources(new_page: NewPage, live: Live) -> None:
    live.faults(token_delay_ms=40)
    page = new_page()
    ui.open_chat(page, live.url + "/")
    seen = ui.watch_streaming(page)
    ui.ask(page, HOURS)
    ui.wait_idle(page)
    answer = ui.answers(page).last
    # Text showed, growing, while the answer was still streaming (marked busy until done).
    assert len(set(seen())) >= 2, (seen(), page.locator("kb-chat .log").inner_text())
    assert "Saturday from 8:00" in answer.locator(".t").inner_text()
    assert answer.get_attribute("aria-busy") is None
    # The chip shows the document's own title (kb_title) and links to sources.url.
    assert "Opening hours" in answer.locator(".s li").all_inner_texts()
    chip = answer.locator(".s li", has_text="Opening hours")
    assert chip.get_attribute("title") == "club/hours.md"
    link = chip.get_by_role("link", name="Opening hours")
    assert link.get_attribute("href") == "https://club.example/docs/club/hours.md"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert answer.locator(".s").inner_text().startswith("Sources:")
    assert ui.notices(page).count() == 0


def test_stop_keeps_the_partial_answer(new_page: NewPage, live: Live) -> None:
    live.faults(token_delay_ms=250)
    page = new_page()
    ui.open_chat(page, live.url + "/")
    ui.ask(page, HISTORY)
    page.locator("kb-chat .m.b[aria-busy=true] .t p").wait_for()
    page.get_by_role("button", name="Stop").click()
    ui.wait_idle(page)
    answer = ui.answers(page).last
    partial = answer.locator(".t").inner_text()
    assert partial
    assert answer.locator(".n").inner_text() == "Stopped."
    page.wait_for_timeout(800)  # nothing more arrives once stopped
    assert answer.locator(".t").inner_text() == partial
    assert ui.stored(page)["msgs"][-1]["st"] == "stopped"
    assert ui.notices(page).count() == 0


def test_retry_after_an_injected_500(new_page: NewPage, live: Live) -> None:
    live.faults(rate=1.0, kinds=["500"])
    page = new_page()
    ui.open_chat(page, live.url + "/")
    ui.ask(page, HOURS)
    ui.wait_idle(page)
    assert ui.notices(page).count() == 1
    assert ui.answers(page).count() == 0

    live.faults()
    ui.notices(page).get_by_role("button", name="Retry").click()
    ui.wait_idle(page)
    assert ui.notices(page).count() == 0
    assert "Saturday from 8:00" in ui.answers(page).last.inner_text()
    assert page.locator("kb-chat .m.u").count() == 1  # the question is not repeated


def test_reload_restores_the_transcript_and_continues(new_page: NewPage, live: Live) -> None:
    page = new_page()
    bodies = chat_bodies(page)
    ui.open_chat(page, live.url + "/")
    ui.ask(page, HOURS)
    ui.wait_idle(page)
    token = ui.stored(page)["token"]
    assert token
    first = ui.answers(page).last.inner_text()

    page.reload()
    ui.textarea(page).wait_for(state="visible")  # the panel was open: it still is
    assert page.locator("kb-chat .m.u").all_text_contents() == [f"You: {HOURS}"]
    assert ui.answers(page).last.inner_text() == first

    with page.expect_response(lambda r: r.url.endswith("/api/chat")) as second:
        ui.ask(page, "How much is a day pass?")
    ui.wait_idle(page)
    assert "15 euros" in ui.answers(page).last.inner_text()
    assert ui.notices(page).count() == 0
    assert bodies == [
        {"message": HOURS},
        {"message": "How much is a day pass?", "conversation": token},
    ]
    # Each answer's `conversation` event carries a fresh token (its turn number is
    # signed in it): the widget keeps the latest.
    fresh = re.search(r"event: conversation\ndata: (\{.*\})", second.value.text())
    assert fresh, second.value.text()[:300]
    assert ui.stored(page)["token"] == json.loads(fresh.group(1))["conversation"]


def test_closed_state_survives_navigation(new_page: NewPage, live: Live) -> None:
    page = new_page()
    ui.open_chat(page, live.url + "/")
    page.get_by_role("button", name="Close chat").first.click()
    page.reload()
    ui.launcher(page).wait_for()
    assert ui.textarea(page).is_hidden()
    assert ui.launcher(page).get_attribute("aria-expanded") == "false"


def test_new_chat_forgets_the_conversation(new_page: NewPage, live: Live) -> None:
    page = new_page()
    bodies = chat_bodies(page)
    ui.open_chat(page, live.url + "/")
    ui.ask(page, HOURS)
    ui.wait_idle(page)
    page.get_by_role("button", name="New chat").click()
    assert page.locator("kb-chat .log > *").count() == 1  # the greeting only
    assert ui.stored(page)["token"] is None
    assert ui.stored(page)["msgs"] == []

    ui.ask(page, "Are swimming caps required in the pool?")
    ui.wait_idle(page)
    assert "caps are required" in ui.answers(page).last.inner_text()
    assert [set(body) for body in bodies] == [{"message"}, {"message"}]


def test_rate_limit_notice_gives_the_wait(new_page: NewPage, start_relay: StartRelay) -> None:
    with start_relay(RATE_LIMIT="1/minute") as relay:
        page = new_page()
        ui.open_chat(page, relay.url + "/")
        ui.ask(page, HOURS)
        ui.wait_idle(page)
        ui.ask(page, "How much is a day pass?")
        ui.wait_idle(page)
    notice = ui.notices(page).inner_text()
    match = re.search(r"Please wait (\d+) s and try again\.", notice)
    assert match, notice
    assert 0 < int(match.group(1)) <= 60
    assert ui.notices(page).get_by_role("button", name="Retry").is_disabled()
    assert ui.answers(page).count() == 1


def test_embedded_on_another_site(new_page: NewPage, start_relay: StartRelay) -> None:
    """The real-world setup: the site's origin differs from the relay's (CORS, Retry-After).

    The site is a second loopback server: Chromium refuses a public origin's requests to
    loopback (Private Network Access), so a routed fake domain would not do.
    """
    with fake_relay() as site:
        other = site.url.replace("127.0.0.1", "localhost")
        with start_relay(ALLOWED_ORIGINS=site.url, RATE_LIMIT="2/minute") as relay:
            site.pages["/"] = ui.host_page(api=relay.url + "/api").replace(
                'src="/widget.js"', f'src="{relay.url}/widget.js"'
            )
            page = new_page()
            ui.open_chat(page, site.url + "/")
            ui.ask(page, "How much is a day pass?")
            ui.wait_idle(page)
            assert "15 euros" in ui.answers(page).last.inner_text()
            ui.ask(page, HOURS)
            ui.wait_idle(page)
            ui.ask(page, "And on Sunday?")
            ui.wait_idle(page)
            notice = ui.notices(page).inner_text()
            assert re.search(r"Please wait \d+ s", notice), notice  # Retry-After is exposed

            stranger = new_page()
            ui.open_chat(stranger, other + "/")
            ui.ask(stranger, "How much is a day pass?")
            ui.wait_idle(stranger)
            assert ui.notices(stranger).count() == 1
            assert ui.answers(stranger).count() == 0


def test_a_full_conversation_goes_on_in_a_new_one(
    new_page: NewPage, start_relay: StartRelay
) -> None:
    """The real relay refuses the third message of a MAX_TURNS=2 conversation
    (conversation_full); the widget starts a new chat by itself and answers."""
    with start_relay(MAX_TURNS="2") as relay:
        page = new_page()
        bodies = chat_bodies(page)
        ui.open_chat(page, relay.url + "/")
        for question in [HOURS, "How much is a day pass?", "Are swimming caps required?"]:
            ui.ask(page, question)
            ui.wait_idle(page)
        assert ui.notices(page).count() == 0
        assert page.locator("kb-chat .log .v").all_inner_texts() == ["New conversation"]
        assert "caps are required" in ui.answers(page).last.inner_text()
        assert ui.answers(page).count() == 3  # the old answers stay visible
        assert [set(body) for body in bodies] == [
            {"message"},
            {"message", "conversation"},
            {"message", "conversation"},  # refused: conversation_full
            {"message"},  # sent again, once, in a new conversation
        ]


def test_a_second_tab_waits_for_the_running_answer(new_page: NewPage, live: Live) -> None:
    """Two tabs share the conversation (localStorage); the second asks while the first's
    answer is still streaming: the sandbox's conversation_locked becomes the relay's 409
    conversation_busy, and the widget says to wait, keeping the conversation."""
    page = new_page()
    ui.open_chat(page, live.url + "/")
    ui.ask(page, HOURS)
    ui.wait_idle(page)
    live.faults(token_delay_ms=300)
    ui.ask(page, HISTORY)
    page.locator("kb-chat .m.b[aria-busy=true] .t p").wait_for()

    second = page.context.new_page()
    second.goto(live.url + "/")
    ui.textarea(second).wait_for(state="visible")  # the panel was open: it still is
    token = ui.stored(second)["token"]
    ui.ask(second, "How much is a day pass?")
    ui.wait_idle(second)
    # (The first tab's answer, unfinished in the shared storage, shows as cut off above.)
    notice = ui.notices(second).last.locator("span").inner_text()
    assert notice == (
        "The previous answer in this chat is still being written. "
        "Please wait a moment and try again."
    )
    assert ui.stored(second)["token"] == token  # busy is not the end of the conversation
    assert second.locator("kb-chat .log .v").count() == 0
    page.get_by_role("button", name="Stop").click()
