"""The model's function calls through the relay: a ``lead_form`` or ``handoff`` event,
the token that carries the pending call, and its output sent with the next message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from testing.sandbox import requests_log
from testing.servers import Server
from testing.sse import Event, parse_sse

LEADS = """leads:
  fields: [name, phone, email, comment]
  required: [name, phone]
  consent:
    ru: "Нажимая «Отправить», я соглашаюсь на обработку персональных данных."
    en: "By sending, I agree to the processing of my personal data."
  privacy_url: "https://club.example/privacy"
  sinks: [webhook]
"""
HANDOFF = """handoff:
  telegram_chat: operators
"""


def _with(kb: Path, extra: str) -> None:
    settings = kb / "assistant.yaml"
    settings.write_text(settings.read_text() + extra, encoding="utf-8")


def _ask(http: TestClient[Any], message: str, token: str | None = None) -> list[Event]:
    response = http.post("/api/chat", json={"message": message, "conversation": token})
    assert response.status_code == 200, response.text
    return parse_sse(response.text)[0]


def _responses_bodies(sandbox: Server) -> list[dict[str, Any]]:
    return [
        r["body"]
        for r in requests_log(sandbox, 200)
        if r["method"] == "POST" and r["path"] == "/v1/responses"
    ]


def test_a_call_back_request_ends_with_the_lead_form(
    make_relay: Any, kb: Path, sandbox: Server
) -> None:
    _with(kb, LEADS)
    with make_relay() as http:
        events = _ask(http, "Please call me back, my name is Anna, +7 916 123-45-67")
        names = [e.event for e in events]
        assert names[0] == "conversation"
        assert names[-3:] == ["conversation", "lead_form", "done"]
        form = events[-2].data
        assert form["fields"] == ["name", "phone", "email", "comment"]
        assert form["required"] == ["name", "phone"]
        assert form["privacy_url"] == "https://club.example/privacy"
        assert set(form["consent"]) == {"ru", "en"}
        assert form["prefill"]["phone"].replace(" ", "").replace("-", "").endswith("9161234567")
        assert form["call_id"].startswith("call_")
        offered = _responses_bodies(sandbox)[-1]["tools"]
        assert [t.get("name") for t in offered if t["type"] == "function"] == ["offer_contact_form"]
        assert all(t["strict"] for t in offered if t["type"] == "function")

        # The visitor writes on instead: the call is answered "dismissed" with the message,
        # and the API (the sandbox, like the live one) accepts the conversation again.
        pending_token = events[-3].data["conversation"]
        after = _ask(http, "How much is a monthly membership?", pending_token)
        assert after[-1].event == "done"
        sent = _responses_bodies(sandbox)[-1]
        assert sent["input"][0] == {
            "type": "function_call_output",
            "call_id": form["call_id"],
            "output": '{"status": "dismissed"}',
        }
        assert sent["input"][1]["content"] == "How much is a monthly membership?"


def test_the_token_before_the_call_cannot_skip_its_output(
    make_relay: Any, kb: Path, sandbox: Server
) -> None:
    """A client that keeps the first token of the answer (not the last) leaves the call
    unanswered: the upstream refuses, and the relay says so instead of failing silently."""
    _with(kb, LEADS)
    with make_relay() as http:
        events = _ask(http, "Перезвоните мне, пожалуйста: +7 916 123-45-67")
        assert [e.event for e in events][-2:] == ["lead_form", "done"]
        first_token = events[0].data["conversation"]
        response = http.post(
            "/api/chat", json={"message": "Where are you?", "conversation": first_token}
        )
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "upstream_rejected"


def test_asking_for_a_person_ends_with_handoff(make_relay: Any, kb: Path, sandbox: Server) -> None:
    _with(kb, HANDOFF)
    with make_relay() as http:
        events = _ask(http, "I want to talk to a human, please")
        assert [e.event for e in events][-3:] == ["conversation", "handoff", "done"]
        assert events[-2].data == {"status": "human"}
        offered = _responses_bodies(sandbox)[-1]["tools"]
        assert [t.get("name") for t in offered if t["type"] == "function"] == ["request_handoff"]
        # The next message answers the call: the visitor was handed to a person.
        after = _ask(http, "Thanks", events[-3].data["conversation"])
        assert after[-1].event == "done"
        sent = _responses_bodies(sandbox)[-1]["input"][0]
        assert sent["type"] == "function_call_output"
        assert sent["output"] == '{"status": "handed_off"}'


def test_without_leads_or_handoff_no_function_is_offered(
    relay: TestClient[Any], sandbox: Server
) -> None:
    events = _ask(relay, "Please call me back at +7 916 123-45-67")
    assert "lead_form" not in [e.event for e in events]
    assert [t["type"] for t in _responses_bodies(sandbox)[-1]["tools"]] == ["file_search"]
