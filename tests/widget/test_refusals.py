"""What the widget says and does when the relay ends or refuses an answer (scripted relay).

Cut-short answers (`done.incomplete`), a conversation still busy upstream (409 +
Retry-After), an exhausted upstream quota (503 upstream_quota), and the three token
refusals after which the widget starts a new chat by itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.widget import _ui as ui
from tests.widget._fake_relay import FakeRelay, Reply, event

pytestmark = pytest.mark.browser


def answer(text: str, token: str = "", incomplete: str | None = None) -> Reply:
    stream = event("conversation", {"conversation": token}) if token else ""
    stream += event("delta", {"text": text})
    done = {"response_id": "resp_1", "usage": {"input_tokens": 9, "output_tokens": 3}}
    stream += event("done", {**done, "incomplete": incomplete})
    return Reply(chunks=[stream.encode()])


@pytest.mark.parametrize(
    ("page_path", "incomplete", "note"),
    [
        ("/", "max_output_tokens", "The answer was cut short: it reached its length limit."),
        ("/", "content_filter", "The answer was cut short by the content filter."),
        ("/ru", "max_output_tokens", "Ответ оборван: он достиг предельной длины."),
        ("/ru", "content_filter", "Ответ оборван фильтром содержимого."),
    ],
)
def test_a_cut_short_answer_says_so(
    new_page: Any, relay: FakeRelay, page_path: str, incomplete: str, note: str
) -> None:
    relay.replies.append(answer("The monthly membership costs", incomplete=incomplete))
    page = new_page()
    ui.open_chat(page, relay.url + page_path)
    ui.ask(page, "How much?")
    ui.wait_idle(page)
    bubble = ui.answers(page).last
    assert bubble.locator(".t").inner_text() == "The monthly membership costs"
    assert bubble.locator(".n").inner_text() == note
    # Inside the log's live region, in the finished bubble: read out with the answer.
    assert bubble.evaluate("b => b.closest('[role=log]').getAttribute('aria-live')") == "polite"
    assert bubble.get_attribute("aria-busy") is None
    assert ui.notices(page).count() == 0  # what arrived is an answer, not an error
    page.reload()
    ui.textarea(page).wait_for(state="visible")
    assert ui.answers(page).last.locator(".n").inner_text() == note


def test_a_complete_answer_has_no_note(new_page: Any, relay: FakeRelay) -> None:
    relay.replies.append(answer("All of it."))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "How much?")
    ui.wait_idle(page)
    assert ui.answers(page).last.locator(".n").count() == 0


def test_conversation_busy_waits_for_retry_after(new_page: Any, relay: FakeRelay) -> None:
    relay.replies.append(answer("First.", token="tok-1"))
    relay.replies.append(Reply(status=409, code="conversation_busy", headers={"Retry-After": "2"}))
    relay.replies.append(answer("Second.", token="tok-1"))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    assert ui.notices(page).locator("span").inner_text() == (
        "The previous answer in this chat is still being written. "
        "Please wait a moment and try again."
    )
    retry = ui.notices(page).get_by_role("button", name="Retry")
    assert retry.is_disabled()
    page.wait_for_function(
        "() => !document.querySelector('kb-chat').shadowRoot.querySelector('.e button').disabled",
        timeout=5_000,
    )
    retry.click()
    ui.wait_idle(page)
    assert ui.answers(page).locator(".t").all_inner_texts() == ["First.", "Second."]
    # Busy is not a refusal of the token: the same conversation goes on.
    assert relay.bodies[1:] == [
        {"message": "Two?", "conversation": "tok-1"},
        {"message": "Two?", "conversation": "tok-1"},
    ]


@pytest.mark.parametrize(
    ("page_path", "code", "text"),
    [
        (
            "/",
            "upstream_quota",
            "The assistant is temporarily unavailable. Please try again later.",
        ),
        ("/ru", "upstream_quota", "Ассистент временно недоступен. Попробуйте позже."),
        ("/", "at_capacity", "The assistant is busy right now. Please try again in a moment."),
    ],
)
def test_service_unavailable_says_which(
    new_page: Any, relay: FakeRelay, page_path: str, code: str, text: str
) -> None:
    relay.replies.append(Reply(status=503, code=code))
    page = new_page()
    ui.open_chat(page, relay.url + page_path)
    ui.ask(page, "Hello?")
    ui.wait_idle(page)
    assert ui.notices(page).locator("span").inner_text() == text
    assert ui.notices(page).get_by_role("button").is_enabled()
    assert ui.answers(page).count() == 0


@pytest.mark.parametrize(
    "code", ["invalid_conversation", "conversation_expired", "conversation_full"]
)
def test_an_ended_conversation_starts_a_new_chat_keeping_the_transcript(
    new_page: Any, relay: FakeRelay, code: str
) -> None:
    relay.replies.append(answer("One.", token="tok-old"))
    relay.replies.append(Reply(status=400, code=code))
    relay.replies.append(answer("Two.", token="tok-new"))
    relay.replies.append(answer("Three.", token="tok-new"))

    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    shown = page.locator("kb-chat .log > :not(:first-child)").all_inner_texts()
    assert [" ".join(text.split()) for text in shown] == [
        "You: One?",
        "Assistant: One. 👍 👎",  # a finished answer can be rated
        "New conversation",
        "You: Two?",
        "Assistant: Two. 👍 👎",
    ]
    assert ui.notices(page).count() == 0
    assert ui.stored(page)["token"] == "tok-new"

    ui.ask(page, "Three?")
    ui.wait_idle(page)
    assert relay.bodies == [
        {"message": "One?"},
        {"message": "Two?", "conversation": "tok-old"},
        {"message": "Two?"},  # the token dropped, the question sent again once
        {"message": "Three?", "conversation": "tok-new"},
    ]

    page.reload()  # the divider is part of the stored transcript
    ui.textarea(page).wait_for(state="visible")
    assert page.locator("kb-chat .log .v").all_inner_texts() == ["New conversation"]
    assert ui.answers(page).locator(".t").all_inner_texts() == ["One.", "Two.", "Three."]


def test_a_new_chat_is_tried_once_only(new_page: Any, relay: FakeRelay) -> None:
    relay.replies.append(answer("One.", token="tok-old"))
    relay.replies.append(Reply(status=400, code="conversation_expired"))
    relay.replies.append(Reply(status=400, code="conversation_expired"))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    assert len(relay.bodies) == 3
    assert "Something went wrong" in ui.notices(page).inner_text()
    assert page.locator("kb-chat .log .v").count() == 1


@pytest.mark.parametrize("code", ["conversation_busy", "invalid_request", "message_too_long"])
def test_other_refusals_keep_the_conversation(new_page: Any, relay: FakeRelay, code: str) -> None:
    relay.replies.append(answer("One.", token="tok-old"))
    relay.replies.append(Reply(status=400, code=code))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    assert len(relay.bodies) == 2
    assert ui.stored(page)["token"] == "tok-old"
    assert page.locator("kb-chat .log .v").count() == 0
    assert ui.notices(page).count() == 1
