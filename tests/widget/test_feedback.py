"""👍/👎 under each finished answer, and the starter questions on an empty chat (scripted relay)."""

from __future__ import annotations

from typing import Any

import pytest

from testing.waiting import wait_for
from tests.widget import _ui as ui
from tests.widget._fake_relay import FakeRelay, Reply, event

pytestmark = pytest.mark.browser

STARTERS = {
    "en": ["How much is a membership?", "Where are you?"],
    "ru": ["Сколько стоит абонемент?", "Где вы находитесь?", "Есть ли парковка?"],
}


def answered(token: str, response_id: str, text: str = "Yes.") -> Reply:
    stream = event("conversation", {"conversation": token}) + event("delta", {"text": text})
    done = {"response_id": response_id, "usage": {"input_tokens": 1, "output_tokens": 1}}
    return Reply(chunks=[(stream + event("done", {**done, "incomplete": None})).encode()])


def rating_row(page: Any, n: int = -1) -> Any:
    return ui.answers(page).nth(n).locator(".f")


def pressed(row: Any) -> list[str]:
    return [b.inner_text() for b in row.locator("button[aria-pressed=true]").all()]


def test_thumbs_send_the_rating_and_a_reason(new_page: Any, relay: FakeRelay) -> None:
    relay.replies += [answered("tok-1", "resp_1"), answered("tok-2", "resp_2")]
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    ui.ask(page, "Two?")
    ui.wait_idle(page)
    first = rating_row(page, 0)
    assert [b.get_attribute("aria-label") for b in first.locator("button").all()] == [
        "Helpful",
        "Not helpful",
    ]
    first.get_by_role("button", name="Helpful", exact=True).click()
    second = rating_row(page, 1)
    second.get_by_role("button", name="Not helpful", exact=True).click()
    assert [b.inner_text() for b in second.locator("button").all()] == [
        "👍", "👎", "Wrong", "Unhelpful", "Outdated", "Other",
    ]  # fmt: skip
    second.get_by_role("button", name="Outdated").click()
    assert pressed(rating_row(page, 1)) == ["👎", "Outdated"]
    # The focus stays on the button pressed, though the row was drawn again.
    assert (
        page.evaluate(
            "() => document.querySelector('kb-chat').shadowRoot.activeElement.textContent"
        )
        == "Outdated"
    )
    wait_for(lambda: len(relay.feedback) == 3, what="three ratings sent")
    # Each answer is rated with the token its conversation had then.
    assert relay.feedback == [
        {"conversation": "tok-1", "response_id": "resp_1", "rating": "up"},
        {"conversation": "tok-2", "response_id": "resp_2", "rating": "down"},
        {"conversation": "tok-2", "response_id": "resp_2", "rating": "down", "reason": "outdated"},
    ]
    page.reload()
    ui.textarea(page).wait_for(state="visible")
    assert pressed(rating_row(page, 0)) == ["👍"]
    assert pressed(rating_row(page, 1)) == ["👎", "Outdated"]


def test_no_thumbs_under_an_answer_that_failed_or_was_stopped(
    new_page: Any, relay: FakeRelay
) -> None:
    relay.replies.append(Reply(status=502, code="upstream_error"))
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "One?")
    ui.wait_idle(page)
    assert page.locator("kb-chat .f").count() == 0


@pytest.mark.parametrize(("path", "lang"), [("/", "en"), ("/ru", "ru")])
def test_starters_on_an_empty_chat(new_page: Any, relay: FakeRelay, path: str, lang: str) -> None:
    relay.json_pages["/api/ping"] = {"ok": True, "t": "now", "widget": {"starters": STARTERS}}
    relay.replies += [answered("tok-1", "resp_1"), answered("tok-2", "resp_2")]
    page = new_page()
    ui.open_chat(page, relay.url + path)
    starters = page.locator("kb-chat .q button")
    starters.first.wait_for(state="visible")
    assert starters.all_inner_texts() == STARTERS[lang]
    starters.nth(1).click()
    ui.wait_idle(page)
    assert relay.bodies == [{"message": STARTERS[lang][1]}]
    assert page.locator("kb-chat .q").count() == 0
    page.locator("kb-chat .h button", has_text="New chat" if lang == "en" else "Новый чат").click()
    assert page.locator("kb-chat .q button").all_inner_texts() == STARTERS[lang]


def test_no_starters_without_them(new_page: Any, relay: FakeRelay) -> None:
    relay.json_pages["/api/ping"] = {"ok": True, "t": "now", "widget": {}}
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    page.wait_for_function(
        "() => Object.keys(localStorage).some(k => JSON.parse(localStorage[k]).cfg)"
    )
    assert page.locator("kb-chat .q").count() == 0
