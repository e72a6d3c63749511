"""``POST /api/feedback``: a rating of an answer of this conversation → 204 and one log line;
every other body → 400 and no feedback line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from kbsync._report import ReportOptions, build
from relay._config import RateLimit
from testing.club import QUESTION
from testing.servers import Server
from testing.sse import parse_sse
from tests.relay._helpers import KB_NAME
from tests.relay.conftest import MakeRelay


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_DB", str(tmp_path / "state.db"))


def answer(http: TestClient[Any], conversation: str | None = None) -> tuple[str, str]:
    """(the conversation's token after the answer, the answer's response id)"""
    body: dict[str, Any] = {"message": QUESTION}
    if conversation:
        body["conversation"] = conversation
    events, _ = parse_sse(http.post("/api/chat", json=body).text)
    token = [e.data["conversation"] for e in events if e.event == "conversation"][-1]
    done = [e.data for e in events if e.event == "done"]
    assert done, events
    return token, done[0]["response_id"]


def feedback_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    return [line for line in lines if line["event"] == "feedback"]


def rate(http: TestClient[Any], **body: Any) -> Any:
    return http.post("/api/feedback", json=body)


def test_a_rating_of_my_answer_is_logged_and_the_chat_line_names_it(
    make_relay: MakeRelay, sandbox: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="relay")
    with make_relay() as http:
        token, response_id = answer(http)
        first = rate(http, conversation=token, response_id=response_id, rating="up")
        second = rate(
            http, conversation=token, response_id=response_id, rating="down", reason="outdated"
        )
    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 204
    lines = [
        {k: v for k, v in line.items() if k not in ("ts", "level")}
        for line in feedback_lines(caplog)
    ]
    base = {
        "event": "feedback",
        "response_id": response_id,
        "variant": "main",
        "channel": "web",
        "kb_name": KB_NAME,
    }
    assert lines == [
        {**base, "rating": "up", "reason": None},
        {**base, "rating": "down", "reason": "outdated"},
    ]
    chat = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name == "relay" and '"/api/chat"' in r.getMessage()
    ]
    assert [(c["response_id"], c["variant"], c["channel"]) for c in chat] == [
        (response_id, "main", "web")
    ]


def test_bad_feedback_is_400_and_logs_nothing(
    make_relay: MakeRelay, sandbox: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="relay")
    with make_relay() as http:
        mine, my_answer = answer(http)
        theirs, their_answer = answer(http)  # another visitor's conversation
        forged = mine[:-4] + ("AAAA" if not mine.endswith("AAAA") else "BBBB")
        cases = {
            "someone else's answer": {"conversation": mine, "response_id": their_answer},
            "my answer, their token": {"conversation": theirs, "response_id": my_answer},
            "unknown answer": {"conversation": mine, "response_id": "resp_nope"},
            "forged token": {"conversation": forged, "response_id": my_answer},
            "no token": {"response_id": my_answer},
            "bad rating": {"conversation": mine, "response_id": my_answer, "rating": "meh"},
            "long reason": {"conversation": mine, "response_id": my_answer, "reason": "x" * 300},
            "reason on a 👍": {
                "conversation": mine,
                "response_id": my_answer,
                "rating": "up",
                "reason": "wrong",
            },
        }
        codes = {}
        for name, body in cases.items():
            body = {"rating": "down", **body}
            response = rate(http, **body)
            assert response.status_code == 400, (name, response.text)
            codes[name] = response.json()["error"]["code"]
    assert codes == {
        "someone else's answer": "invalid_feedback",
        "my answer, their token": "invalid_feedback",
        "unknown answer": "invalid_feedback",
        "forged token": "invalid_conversation",
        "no token": "invalid_feedback",
        "bad rating": "invalid_feedback",
        "long reason": "invalid_feedback",
        "reason on a 👍": "invalid_feedback",
    }
    assert feedback_lines(caplog) == []


def test_another_kbs_token_is_refused(make_relay: MakeRelay, sandbox: Server) -> None:
    with make_relay() as http:
        token, response_id = answer(http)
        signer = http.app.state.relay.signer
        conversation_id = token.rpartition(".")[0]
        foreign = signer.sign("another-kb", conversation_id, 1)
        response = rate(http, conversation=foreign, response_id=response_id, rating="up")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_conversation"


def test_a_full_conversation_still_rates_its_last_answer(
    make_relay: MakeRelay, sandbox: Server
) -> None:
    with make_relay(max_turns=1) as http:
        token, response_id = answer(http)
        again = http.post("/api/chat", json={"message": QUESTION, "conversation": token})
        rated = rate(http, conversation=token, response_id=response_id, rating="up")
    assert again.json()["error"]["code"] == "conversation_full"
    assert rated.status_code == 204


def test_origin_media_type_size_and_rate_limit_as_the_chat(
    make_relay: MakeRelay, sandbox: Server
) -> None:
    with make_relay(rate_limit=RateLimit(2, "minute")) as http:
        token, response_id = answer(http)  # the chat's window: 1 of 2
        body = {"conversation": token, "response_id": response_id, "rating": "up"}
        foreign = {"Origin": "https://evil.example"}
        assert http.post("/api/feedback", json=body, headers=foreign).status_code == 403
        assert http.post("/api/feedback", content=b"{}").status_code == 415
        big = b'{"x": "' + b"x" * 20_000 + b'"}'
        headers = {"Content-Type": "application/json"}
        assert http.post("/api/feedback", content=big, headers=headers).status_code == 413
        # Feedback has a window of its own, as large as the chat's.
        assert [rate(http, **body).status_code for _ in range(3)] == [204, 204, 429]
        assert http.post("/api/chat", json={"message": QUESTION}).status_code == 200


def test_ping_gives_the_widget_its_starters(make_relay: MakeRelay, kb: Path) -> None:
    settings = kb / "assistant.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + 'starters:\n  ru: ["Сколько стоит?"]\n  en: ["How much?", "Where are you?"]\n',
        encoding="utf-8",
    )
    with make_relay() as http:
        ping = http.get("/api/ping").json()
    assert ping["widget"] == {
        "starters": {"ru": ["Сколько стоит?"], "en": ["How much?", "Where are you?"]}
    }


def test_ping_without_starters_has_an_empty_widget_object(relay: TestClient[Any]) -> None:
    assert relay.get("/api/ping").json()["widget"] == {}


def test_kbsync_report_counts_what_the_relay_logged(
    make_relay: MakeRelay,
    sandbox: Server,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    """The writer (the relay) and the reader (kbsync report) agree on every field."""
    caplog.set_level("INFO", logger="relay")
    with make_relay() as http:
        token, first = answer(http)
        token, second = answer(http, token)
        rate(http, conversation=token, response_id=first, rating="down", reason="wrong")
        rate(http, conversation=token, response_id=first, rating="up")  # the last wins
        rate(http, conversation=token, response_id=second, rating="down", reason="outdated")
        rate(http, conversation=token, response_id="resp_forged", rating="up")  # 400
    log = tmp_path / "relay.log"
    log.write_text(
        "".join(r.getMessage() + "\n" for r in caplog.records if r.name == "relay"),
        encoding="utf-8",
    )
    report = build(ReportOptions(logs=(str(log),), since="1d"), now=datetime.now(UTC))
    assert (report.total.chats, report.total.up, report.total.down) == (2, 1, 1)
    assert report.reasons == {"outdated": 1}
    assert report.kb_name == KB_NAME
    assert list(report.by_channel) == ["web"]
    assert report.by_variant["main"].chats == 2
