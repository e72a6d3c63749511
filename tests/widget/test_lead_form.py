"""The lead form card: opened by a ``lead_form`` event (prefilled) or by "Leave a request",
fields in the KB's order with required marks, the consent with its privacy link, the
relay's per-field errors, a confirmation; keyboard, screen reader, phone layout, ru/en."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.widget import _ui as ui
from tests.widget._fake_relay import FakeRelay, Reply, event

pytestmark = pytest.mark.browser

LEADS = {
    "fields": ["name", "phone", "comment"],
    "required": ["name", "phone"],
    "consent": {
        "en": "I agree to the processing of my data.",
        "ru": "Я согласен на обработку данных.",
    },
    "privacy_url": "https://club.example/privacy",
}


def offer(token: str = "tok-1") -> Reply:
    form = {**LEADS, "call_id": "call_9", "prefill": {"phone": "+7 916 123-45-67", "email": "x"}}
    stream = event("conversation", {"conversation": token})
    stream += event("delta", {"text": "Leave your contact and we will call you."})
    stream += event("lead_form", form)
    done = {"response_id": "resp_1", "usage": {"input_tokens": 9, "output_tokens": 3}}
    return Reply(chunks=[(stream + event("done", {**done, "incomplete": None})).encode()])


def route_leads(page: Any, *replies: tuple[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer POST /api/lead with ``replies`` in turn; returns the bodies the widget sent."""
    sent: list[dict[str, Any]] = []
    queue = list(replies)

    def handle(route: Any) -> None:
        sent.append(
            {
                "body": route.request.post_data_json,
                "lang": route.request.headers.get("accept-language"),
            }
        )
        status, body = queue.pop(0)
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**/api/lead", handle)
    return sent


def card(page: Any) -> Any:
    return page.locator("kb-chat form.k")


def test_a_lead_form_event_opens_the_card_prefilled_and_sends_the_call(
    new_page: Any, relay: FakeRelay
) -> None:
    relay.replies.append(offer())
    relay.replies.append(Reply(chunks=[event("done", {"response_id": "r2", "usage": {}}).encode()]))
    page = new_page()
    sent = route_leads(page, (202, {"lead": "ld_1", "conversation": "tok-2"}))
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Call me back please")
    ui.wait_idle(page)
    form = card(page)
    labels = form.locator("label:not(.cs) > span:first-child")
    assert labels.all_inner_texts() == ["Name *", "Phone *", "Comment"]
    assert form.locator("#kbl-phone").input_value() == "+7 916 123-45-67"
    assert form.locator("#kbl-phone").get_attribute("type") == "tel"
    assert form.locator("#kbl-name").get_attribute("required") == ""
    assert form.locator("#kbl-comment").get_attribute("required") is None
    assert form.locator("#kbl-name").evaluate("e => e.getRootNode().activeElement === e")  # focused
    privacy = form.locator("a")
    assert (privacy.inner_text(), privacy.get_attribute("href")) == (
        "Privacy policy",
        LEADS["privacy_url"],
    )
    assert form.locator(".cs").inner_text().startswith("I agree to the processing of my data.")

    form.locator("#kbl-name").fill("Anna")
    form.locator("#kbl-comment").fill("after 6 pm")
    form.locator("input[type=checkbox]").check()
    form.locator("button[type=submit]").click()
    done = page.locator("kb-chat .log [role=status]")
    assert done.inner_text() == "Thank you! We will be in touch."
    [request] = sent
    assert request["lang"] == "en"
    body = request["body"]
    assert body["fields"] == {"name": "Anna", "phone": "+7 916 123-45-67", "comment": "after 6 pm"}
    assert (body["consent"], body["call_id"], body["conversation"]) == (True, "call_9", "tok-1")
    assert body["page"] == relay.url + "/"
    stored = ui.stored(page)
    assert stored["token"] == "tok-2"  # the next turn carries the answered call
    assert "Anna" not in json.dumps(stored)  # the sent contact is not kept in the page
    ui.ask(page, "Thanks")
    ui.wait_idle(page)
    assert relay.bodies[-1]["conversation"] == "tok-2"


def test_the_relays_field_errors_are_shown_on_their_fields(new_page: Any, relay: FakeRelay) -> None:
    relay.replies.append(offer())
    page = new_page()
    bad_phone = {
        "error": {
            "code": "invalid_lead",
            "message": "Some fields need another look: phone.",
            "fields": {"phone": "Enter the number with its country code, e.g. +44 20 7946 0958."},
        }
    }
    no_consent = {"error": {"code": "consent_required", "message": "Please accept."}}
    sent = route_leads(page, (400, no_consent), (400, bad_phone), (202, {"lead": "ld_2"}))
    ui.open_chat(page, relay.url + "/")
    ui.ask(page, "Call me")
    ui.wait_idle(page)
    form = card(page)
    form.locator("#kbl-name").fill("Anna")
    form.locator("button[type=submit]").click()
    form.locator("[role=alert]", has_text="Please agree to send.").wait_for()
    assert form.locator("input[type=checkbox]").get_attribute("aria-invalid") == "true"
    assert sent[0]["body"]["consent"] is False
    form.locator("input[type=checkbox]").check()
    form.locator("button[type=submit]").click()
    card(page).locator("#kbl-phonee").wait_for()
    assert card(page).locator("#kbl-phone").get_attribute("aria-invalid") == "true"
    error = card(page).locator("#kbl-phonee")
    assert error.inner_text() == "Enter the number with its country code, e.g. +44 20 7946 0958."
    assert card(page).locator("#kbl-phone").get_attribute("aria-describedby") == "kbl-phonee"
    assert card(page).locator("#kbl-phone").evaluate("e => e.getRootNode().activeElement === e")
    assert card(page).locator("#kbl-name").input_value() == "Anna"  # what was typed stays
    card(page).locator("#kbl-phone").fill("+44 20 7946 0958")
    card(page).locator("#kbl-phone").press("Enter")  # the keyboard submits the card
    page.locator("kb-chat .log [role=status]").wait_for()
    assert len(sent) == 3


def test_leave_a_request_opens_the_form_without_the_model_in_russian(
    new_page: Any, relay: FakeRelay
) -> None:
    relay.json_pages["/api/ping"] = {"ok": True, "t": "now", "widget": {"leads": LEADS}}
    page = new_page(locale="ru-RU")
    sent = route_leads(page, (202, {"lead": "ld_3"}))
    ui.open_chat(page, relay.url + "/ru")
    button = page.locator("kb-chat .h button", has_text="Оставить заявку")
    button.click()
    form = card(page)
    assert form.locator("label:not(.cs) > span:first-child").all_inner_texts() == [
        "Имя *",
        "Телефон *",
        "Комментарий",
    ]
    assert form.locator("a").inner_text() == "Политика конфиденциальности"
    assert form.locator(".cs").inner_text().startswith("Я согласен на обработку данных.")
    page.keyboard.type("Анна")
    page.keyboard.press("Tab")
    page.keyboard.type("8 916 123 45 67")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the consent checkbox
    page.keyboard.press("Enter")
    assert page.locator("kb-chat .log [role=status]").inner_text() == "Спасибо! Мы свяжемся с вами."
    [request] = sent
    assert request["lang"] == "ru"
    assert request["body"] == {
        "fields": {"name": "Анна", "phone": "8 916 123 45 67"},
        "consent": True,
        "page": relay.url + "/ru",
    }
    assert relay.bodies == []  # the model was not asked


def test_without_leads_there_is_no_button(new_page: Any, relay: FakeRelay) -> None:
    relay.json_pages["/api/ping"] = {"ok": True, "t": "now", "widget": {}}
    page = new_page()
    ui.open_chat(page, relay.url + "/")
    page.wait_for_function("() => JSON.parse(Object.values(localStorage)[0]).cfg !== undefined")
    assert page.locator("kb-chat .h button", has_text="Leave a request").is_hidden()


def test_the_card_fits_a_phone(new_page: Any, relay: FakeRelay) -> None:
    relay.json_pages["/api/ping"] = {"ok": True, "t": "now", "widget": {"leads": LEADS}}
    page = new_page(viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True)
    ui.open_chat(page, relay.url + "/")
    page.locator("kb-chat .h button", has_text="Leave a request").click()
    form = card(page)
    form.wait_for()
    width = page.evaluate("() => innerWidth")
    for box in (form.bounding_box(), form.locator("#kbl-comment").bounding_box()):
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width
    size = form.locator("#kbl-phone").evaluate("e => getComputedStyle(e).fontSize")
    assert size == "16px"  # no zoom-in on focus
