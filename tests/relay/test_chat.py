"""POST /api/chat in-process (Litestar's test client) against a live sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from relay._config import RateLimit
from relay._runtime import Runtime
from relay._token import TokenSigner
from testing.clock import FakeClock
from testing.club import DOCS, QUESTION, Seeded, title_of
from testing.sandbox import fail_every, only_model, sandbox_call, set_faults
from testing.servers import Server
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.relay._helpers import KB_NAME, seed
from tests.relay.conftest import SECRET, MakeRelay


def ask(http: TestClient[Any], message: str, conversation: str | None = None, **kw: Any) -> Any:
    body: dict[str, Any] = {"message": message}
    if conversation is not None:
        body["conversation"] = conversation
    return http.post("/api/chat", json=body, **kw)


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["code"] == code, body
    message: str = body["error"]["message"]
    assert message
    assert "Traceback" not in response.text
    return message


def runtime(http: TestClient[Any]) -> Runtime:
    value: Runtime = http.app.state.relay
    return value


def responses_requests(sandbox: Server) -> list[dict[str, Any]]:
    log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=200")["requests"]
    return [r for r in log if r["method"] == "POST" and r["path"] == "/v1/responses"]


def test_full_event_sequence(relay: TestClient[Any], seeded: Seeded, sandbox: Server) -> None:
    response = ask(relay, QUESTION)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache, no-transform"
    assert response.headers["x-accel-buffering"] == "no"
    events, _ = parse_sse(response.text)
    names = [e.event for e in events]
    assert names[0] == "conversation"
    assert names[-1] == "done"
    assert names.count("conversation") == names.count("done") == 1
    assert set(names) == {"conversation", "delta", "source", "done"}
    text = "".join(e.data["text"] for e in events if e.event == "delta")
    assert "5000 rubles" in text
    sources = [e.data for e in events if e.event == "source"]
    assert len({s["file_id"] for s in sources}) == len(sources)
    for source in sources:
        assert set(source) == {"file_id", "filename", "path", "title", "url"}
        assert source["path"] == seeded.file_paths[source["file_id"]]
        assert source["path"] in DOCS
        assert source["title"] == title_of(DOCS[source["path"]])
        assert source["url"] is None  # no sources.url in assistant.yaml
    done = events[-1].data
    assert done["incomplete"] is None  # a complete answer
    assert done["response_id"].startswith("resp")
    assert done["usage"]["input_tokens"] > 0
    assert done["usage"]["output_tokens"] > 0
    # What the relay sent upstream.
    (sent,) = responses_requests(sandbox)
    body = sent["body"]
    assert body["stream"] is True
    assert body["input"] == QUESTION
    assert body["instructions"].startswith("You answer questions about the Club Sante")
    assert body["include"] == ["file_search_call.results"]
    assert body["truncation"] == "auto"  # a long conversation never outgrows the context
    assert "reasoning" not in body  # only when assistant.yaml sets reasoning.effort
    assert body["tools"] == [
        {"type": "file_search", "vector_store_ids": [seeded.vector_store_id], "max_num_results": 4}
    ]
    # A first turn is answered without waiting for its conversation (one round trip);
    # the conversation is created beside it and holds the turn once it is answered.
    assert "conversation" not in body


def test_source_path_falls_back_to_the_vector_store_file(
    relay: TestClient[Any], seeded: Seeded, sandbox: Server
) -> None:
    documents = runtime(relay).documents
    file_id = next(iter(seeded.file_paths))
    info = relay.blocking_portal.call(documents.info, seeded.vector_store_id, file_id)
    assert info.path == seeded.file_paths[file_id]
    before = sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"]
    again = relay.blocking_portal.call(documents.info, seeded.vector_store_id, file_id)
    assert again == info
    assert sandbox_call(sandbox, "GET", "/_sandbox/stats")["total"] == before  # cached
    missing = relay.blocking_portal.call(documents.info, seeded.vector_store_id, "file-nope")
    assert missing.path is None


def test_two_turn_conversation(relay: TestClient[Any], client: Any, sandbox: Server) -> None:
    first, _ = parse_sse(ask(relay, QUESTION).text)
    token = first[0].data["conversation"]
    second, _ = parse_sse(ask(relay, "And when is the club open?", token).text)
    assert next(e.event for e in second) == "conversation"
    # A fresh token (turn 2) for the same conversation (issue 12 item 4).
    assert second[0].data["conversation"].rsplit(".", 1)[0] == token.rsplit(".", 1)[0]
    assert second[0].data["conversation"] != token
    assert second[-1].event == "done"
    conversation_id = token.rsplit(".", 1)[0]
    sent = responses_requests(sandbox)
    assert [r["body"].get("conversation") for r in sent] == [None, conversation_id]
    # The second turn sees the first: the conversation holds both questions and answers.
    items = list(client.conversations.items.list(conversation_id, order="asc"))
    user_texts = [
        part.text
        for item in items
        if item.type == "message" and item.role == "user"
        for part in item.content
    ]
    assert user_texts == [QUESTION, "And when is the club open?"]
    assert sum(1 for i in items if i.type == "message" and i.role == "assistant") == 2
    conversation = client.conversations.retrieve(conversation_id)
    assert conversation.metadata == {"kb_name": KB_NAME}


def test_tampered_token_is_refused(relay: TestClient[Any], sandbox: Server) -> None:
    first, _ = parse_sse(ask(relay, QUESTION).text)
    token: str = first[0].data["conversation"]
    conversation_id, signature = token.rsplit(".", 1)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (
        f"{conversation_id}.{flipped}",
        f"{conversation_id}x.{signature}",
        conversation_id,
        "",
        "." * 600,
        TokenSigner(SECRET).sign("another-kb", conversation_id),
        TokenSigner("another-secret").sign(KB_NAME, conversation_id),
    ):
        response = ask(relay, QUESTION, bad)
        if bad == "":
            assert response.status_code == 200  # empty: a new conversation
            continue
        message = error_of(response, 400, "invalid_conversation")
        assert "conversation token" in message
    assert len(responses_requests(sandbox)) == 2


def test_foreign_origin(make_relay: MakeRelay) -> None:
    # demo=True: the same-origin fallback holds only with RELAY_DEMO=1 (issue 12 item 6).
    with make_relay(allowed_origins=("https://club.example",), demo=True) as http:
        error_of(
            ask(http, QUESTION, headers={"Origin": "https://evil.example"}),
            403,
            "origin_not_allowed",
        )
        ok = ask(http, QUESTION, headers={"Origin": "https://club.example"})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://club.example"
        preflight = http.options(
            "/api/chat",
            headers={
                "Origin": "https://club.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "https://club.example"
        # Same origin (the demo page) and no Origin (server to server) are fine.
        assert ask(http, QUESTION, headers={"Origin": "http://testserver.local"}).status_code == 200
        assert ask(http, QUESTION).status_code == 200


def test_same_origin_only_by_default(relay: TestClient[Any]) -> None:
    error_of(
        ask(relay, QUESTION, headers={"Origin": "https://club.example"}), 403, "origin_not_allowed"
    )
    assert "access-control-allow-origin" not in relay.options("/api/chat").headers


def test_any_origin(make_relay: MakeRelay) -> None:
    with make_relay(allowed_origins=("*",)) as http:
        response = ask(http, QUESTION, headers={"Origin": "https://anywhere.example"})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"


def test_body_too_large(relay: TestClient[Any]) -> None:
    big = '{"message": "' + "a" * 20_000 + '"}'
    error_of(
        relay.post("/api/chat", content=big, headers={"Content-Type": "application/json"}),
        413,
        "body_too_large",
    )

    def chunks() -> Any:  # no Content-Length: counted while reading
        yield b'{"message": "'
        for _ in range(40):
            yield b"a" * 1000
        yield b'"}'

    error_of(
        relay.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"}),
        413,
        "body_too_large",
    )


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type(relay: TestClient[Any], content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = relay.post("/api/chat", content=b'{"message": "hi"}', headers=headers)
    error_of(response, 415, "unsupported_media_type")


def test_json_with_charset_is_fine(relay: TestClient[Any]) -> None:
    response = relay.post(
        "/api/chat",
        content=b'{"message": "opening hours?"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{", b"[]", b'"hi"', b"{}", b'{"message": 5}', b'{"message": "hi", "conversation": 3}'],
)
def test_bad_json_shape(relay: TestClient[Any], body: bytes) -> None:
    response = relay.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    error_of(response, 400, "invalid_body")


def test_empty_and_too_long_messages(make_relay: MakeRelay, sandbox: Server) -> None:
    with make_relay(max_message_chars=50) as http:
        error_of(ask(http, ""), 400, "empty_message")
        error_of(ask(http, " \n\t "), 400, "empty_message")
        message = error_of(ask(http, "x" * 51), 400, "message_too_long")
        assert "50 characters" in message
        # The limit counts characters after trimming, not bytes.
        assert ask(http, "  " + "ю" * 50 + "  ").status_code == 200
    assert len(responses_requests(sandbox)) == 1


def test_rate_limit(make_relay: MakeRelay, sandbox: Server) -> None:
    clock = FakeClock(1_800_000_015.0)  # 15 s into a minute
    with make_relay(rate_limit=RateLimit(2, "minute"), clock=clock) as http:
        assert ask(http, QUESTION).status_code == 200
        # Refused requests do not use up the budget.
        error_of(ask(http, ""), 400, "empty_message")
        assert ask(http, QUESTION).status_code == 200
        response = ask(http, QUESTION)
        message = error_of(response, 429, "rate_limited")
        assert "2/minute" in message
        assert response.headers["retry-after"] == "45"  # the minute's end
        # Checks before the rate limit still answer first.
        error_of(ask(http, ""), 400, "empty_message")
        assert "relay_rate_limited_total 1" in http.get("/metrics").text
    assert len(responses_requests(sandbox)) == 2


def test_check_order(make_relay: MakeRelay) -> None:
    with make_relay(allowed_origins=("https://club.example",), max_message_chars=10) as http:
        foreign = {"Origin": "https://evil.example"}
        too_long = '{"message": "' + "a" * 20_000 + '"}'
        assert http.post("/api/chat", content=too_long, headers=foreign).status_code == 415
        headers = {**foreign, "Content-Type": "application/json"}
        assert http.post("/api/chat", content=too_long, headers=headers).status_code == 413
        assert http.post("/api/chat", content=b"[", headers=headers).status_code == 400
        assert ask(http, "a" * 11, headers=foreign).status_code == 400
        assert ask(http, "a" * 10, headers=foreign).status_code == 403


def test_concurrency_cap(make_relay: MakeRelay) -> None:
    with make_relay(max_concurrent_streams=2) as http:
        slots = runtime(http).slots
        slots.open = 2  # two streams in flight
        response = ask(http, QUESTION)
        error_of(response, 503, "at_capacity")
        assert int(response.headers["retry-after"]) >= 1
        slots.open = 1
        assert ask(http, QUESTION).status_code == 200
        assert slots.open == 1  # the finished stream gave its slot back


def test_not_ready_without_vector_store(make_relay: MakeRelay, kb: Any) -> None:
    (kb / "assistant.yaml").write_text("name: no-such-kb\n")
    with make_relay(wait_ready=False) as http:
        assert http.get("/readyz").status_code == 503
        response = ask(http, QUESTION)
        error_of(response, 503, "not_ready")
        assert response.headers["retry-after"]


def test_upstream_429(relay: TestClient[Any], sandbox: Server) -> None:
    token = parse_sse(ask(relay, QUESTION).text)[0][0].data["conversation"]
    fail_every(sandbox, "429")
    for conversation in (None, token):  # conversation create, then responses.create
        response = ask(relay, QUESTION, conversation)
        error_of(response, 429, "upstream_rate_limited")
        assert int(response.headers["retry-after"]) >= 1
    assert (
        'relay_upstream_errors_total{code="upstream_rate_limited"} 2' in relay.get("/metrics").text
    )


def test_upstream_500(relay: TestClient[Any], sandbox: Server) -> None:
    token = parse_sse(ask(relay, QUESTION).text)[0][0].data["conversation"]
    fail_every(sandbox, "500")
    message = error_of(ask(relay, QUESTION, token), 502, "upstream_error")
    assert "500" in message
    assert "sandbox fault" not in message  # upstream wording is not passed on


def test_upstream_timeout(make_relay: MakeRelay, sandbox: Server) -> None:
    with make_relay(upstream_timeout=1.0) as http:
        fail_every(sandbox, "timeout")
        error_of(ask(http, QUESTION), 504, "upstream_timeout")


def test_upstream_unreachable(make_relay: MakeRelay) -> None:
    from testing.servers import free_port

    with make_relay() as http:
        upstream = runtime(http).upstream
        assert upstream is not None
        upstream._client = upstream._client.with_options(
            base_url=f"http://127.0.0.1:{free_port()}/v1"
        )
        error_of(ask(http, QUESTION), 502, "upstream_unavailable")


def test_drop_mid_stream(relay: TestClient[Any], sandbox: Server) -> None:
    token = parse_sse(ask(relay, QUESTION).text)[0][0].data["conversation"]
    fail_every(sandbox, "drop")
    response = ask(relay, QUESTION, token)
    assert response.status_code == 200
    events, _ = parse_sse(response.text)
    assert events[0].event == "conversation"
    assert events[-1].event == "error"
    assert "done" not in [e.event for e in events]
    assert set(events[-1].data) == {"code", "message"}
    assert events[-1].data["code"] == "upstream_unavailable"  # the connection was cut
    assert "Traceback" not in response.text
    assert runtime(relay).slots.open == 0


def test_keep_alive_comments(make_relay: MakeRelay, sandbox: Server) -> None:
    with make_relay(keepalive_seconds=0.05) as http:
        set_faults(sandbox, token_delay_ms=150)
        events, comments = parse_sse(ask(http, QUESTION).text)
        assert comments >= 1
        assert events[0].event == "conversation"
        assert events[-1].event == "done"
        assert ": keep-alive" in ask(http, "opening hours?").text


def test_metrics_after_a_chat(relay: TestClient[Any]) -> None:
    assert ask(relay, QUESTION).status_code == 200
    text = relay.get("/metrics").text
    assert 'relay_http_requests_total{method="POST",route="/api/chat",status="200"} 1' in text
    assert 'relay_streams_total{result="done"} 1' in text
    assert "relay_time_to_first_token_seconds_count 1" in text
    assert "relay_open_streams 0" in text


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    import json

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    return [line for line in lines if line["event"] == "request"]


def test_one_json_log_line_per_request(
    relay: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="relay")
    assert ask(relay, QUESTION).status_code == 200
    assert ask(relay, "").status_code == 400
    chat_lines = [line for line in request_lines(caplog) if line["route"] == "/api/chat"]
    assert len(chat_lines) == 2
    streamed, refused = chat_lines
    assert streamed["status"] == 200
    assert streamed["stream"] == "done"
    assert streamed["ttft_ms"] > 0
    assert streamed["latency_ms"] >= streamed["ttft_ms"]
    assert refused["status"] == 400
    assert "question" not in streamed
    assert QUESTION not in caplog.text
    assert "sk-test" not in caplog.text


def test_log_questions_when_asked(make_relay: MakeRelay, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="relay")
    personal = f"  {QUESTION} Mail anna@example.ru or call +7 (912) 345-67-89.  "
    with make_relay(log_questions=True) as http:
        assert ask(http, personal).status_code == 200
    (line,) = [line for line in request_lines(caplog) if line["route"] == "/api/chat"]
    assert line["question"] == f"{QUESTION} Mail [email] or call [phone]."
    assert "anna@example.ru" not in caplog.text
    assert "345-67-89" not in caplog.text


def test_gap_report_fields(relay: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="relay")
    events, _ = parse_sse(ask(relay, QUESTION).text)
    (line,) = [line for line in request_lines(caplog) if line["route"] == "/api/chat"]
    assert line["kb_name"] == KB_NAME
    assert line["stream"] == "done"
    assert 1 <= line["results"] <= 4  # max_num_results: 4
    assert 0 < line["top_score"] <= 1
    assert line["cited"] == sum(1 for e in events if e.event == "source") >= 1
    assert line["incomplete"] is None
    # The documents file_search found, best first: the gap report's "closest documents".
    assert 1 <= len(line["closest"]) <= 3
    assert line["closest"][0] == "prices.md"
    assert set(line["closest"]) <= set(DOCS)
    assert "question" not in line  # LOG_QUESTIONS is off: no question text at all
    assert QUESTION not in caplog.text


def test_answers_without_a_source_are_counted(relay: TestClient[Any]) -> None:
    events, _ = parse_sse(ask(relay, "zqxv wprt ykjh?").text)
    assert events[-1].event == "done"
    assert "source" not in [e.event for e in events]
    assert "relay_answers_without_source_total 1" in relay.get("/metrics").text
    assert parse_sse(ask(relay, QUESTION).text)[0][-1].event == "done"
    assert "relay_answers_without_source_total 1" in relay.get("/metrics").text


def test_source_titles_and_links(make_relay: MakeRelay, kb: Any, client: Any) -> None:
    seed(client, "linked", {"ru/цены 2024.md": "# Цены клуба\n\n" + DOCS["prices.md"]})
    (kb / "assistant.yaml").write_text(
        'name: linked\nsources:\n  url: "https://club.example/docs/{path}?from=chat"\n'
    )
    with make_relay() as http:
        events, _ = parse_sse(ask(http, QUESTION).text)
    (source,) = [e.data for e in events if e.event == "source"]
    assert source["path"] == "ru/цены 2024.md"
    assert source["filename"] == "цены 2024.md"
    assert source["title"] == "Цены клуба"
    assert source["url"] == (
        "https://club.example/docs/ru/%D1%86%D0%B5%D0%BD%D1%8B%202024.md?from=chat"
    )


def test_missing_secret_warns_loudly(
    make_relay: MakeRelay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="relay")
    with make_relay(relay_secret=None) as http:
        token = parse_sse(ask(http, QUESTION).text)[0][0].data["conversation"]
        assert ask(http, QUESTION, token).status_code == 200
    with make_relay(relay_secret=None) as http:  # a new process would have a new secret
        error_of(ask(http, QUESTION, token), 400, "invalid_conversation")
    warnings = [
        r for r in caplog.records if r.levelname == "WARNING" and "RELAY_SECRET" in r.getMessage()
    ]
    assert len(warnings) == 2


def test_vector_store_found_later(make_relay: MakeRelay, kb: Any, client: Any) -> None:
    (kb / "assistant.yaml").write_text("name: late-kb\n")
    with make_relay(wait_ready=False) as http:
        assert http.get("/readyz").status_code == 503
        seed(client, "late-kb")
        wait_for(lambda: http.get("/readyz").status_code == 200, what="the late vector store")
        assert ask(http, QUESTION).status_code == 200


def test_vector_store_id_wins(
    make_relay: MakeRelay, kb: Any, seeded: Seeded, sandbox: Server, client: Any
) -> None:
    other = seed(client)  # a second store claiming the same KB: VECTOR_STORE_ID settles it
    with make_relay(vector_store_id=seeded.vector_store_id) as http:
        assert ask(http, QUESTION).status_code == 200
    (sent,) = responses_requests(sandbox)
    assert sent["body"]["tools"][0]["vector_store_ids"] == [seeded.vector_store_id]
    assert other.vector_store_id != seeded.vector_store_id


def test_vector_store_id_of_another_kb_is_refused(
    make_relay: MakeRelay, kb: Any, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="relay")
    (kb / "assistant.yaml").write_text("name: not-the-stamp\n")
    with make_relay(vector_store_id=seeded.vector_store_id, wait_ready=False) as http:
        wait_for(lambda: refusals(caplog), what="the refusal in the log")
        assert http.get("/readyz").status_code == 503
    (message,) = set(refusals(caplog))
    assert message == (
        f"Vector store {seeded.vector_store_id} (VECTOR_STORE_ID) belongs to knowledge base "
        "'relaytest', not 'not-the-stamp'; fix VECTOR_STORE_ID or `name:` in kb/assistant.yaml."
    )


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    import json

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    return [line["message"] for line in lines if line["event"] == "vector_store_refused"]


def test_deleted_conversation(relay: TestClient[Any], client: Any) -> None:
    token = parse_sse(ask(relay, QUESTION).text)[0][0].data["conversation"]
    client.conversations.delete(token.rsplit(".", 1)[0])
    message = error_of(ask(relay, QUESTION, token), 400, "conversation_not_found")
    assert "new conversation" in message


def test_deleted_vector_store_is_found_again(
    relay: TestClient[Any], client: Any, seeded: Seeded
) -> None:
    client.vector_stores.delete(seeded.vector_store_id)
    response = ask(relay, QUESTION)
    error_of(response, 503, "vector_store_missing")
    assert relay.get("/readyz").status_code == 503
    fresh = seed(client)  # e.g. a sync re-created it
    wait_for(lambda: relay.get("/readyz").status_code == 200, what="the new vector store")
    assert runtime(relay).vector_store_id == fresh.vector_store_id
    assert ask(relay, QUESTION).status_code == 200


def test_reasoning_effort_and_truncation_sent(
    make_relay: MakeRelay, kb: Any, sandbox: Server
) -> None:
    only_model(sandbox, "o-think", reasoning=True)
    (kb / "assistant.yaml").write_text(
        f"name: {KB_NAME}\nmodel: o-think\nreasoning:\n  effort: low\n"
    )
    with make_relay() as http:
        events, _ = parse_sse(ask(http, QUESTION).text)
    assert events[-1].event == "done", events[-1]
    (sent,) = responses_requests(sandbox)
    assert sent["body"]["model"] == "o-think"
    assert sent["body"]["reasoning"] == {"effort": "low"}
    assert sent["body"]["truncation"] == "auto"


def test_reasoning_model_refusing_temperature(
    make_relay: MakeRelay, kb: Any, sandbox: Server
) -> None:
    only_model(sandbox, "o-think", reasoning=True)
    (kb / "assistant.yaml").write_text(f"name: {KB_NAME}\nmodel: o-think\ntemperature: 0.3\n")
    with make_relay() as http:
        message = error_of(ask(http, QUESTION), 502, "upstream_rejected")
    assert "400" in message
    assert "temperature" not in message  # upstream wording is for operators (kbsync check)


def test_long_conversation_is_truncated_not_refused(
    make_relay: MakeRelay, kb: Any, sandbox: Server
) -> None:
    # A context window of 600 "tokens" (words): the third long turn would overflow it.
    only_model(sandbox, "tiny-context", context_tokens=600)
    (kb / "assistant.yaml").write_text(f"name: {KB_NAME}\nmodel: tiny-context\n")
    long_question = QUESTION + " Please" + " really" * 150 + " answer."
    with make_relay() as http:
        token = None
        for _ in range(4):
            events, _ = parse_sse(ask(http, long_question, token).text)
            assert events[-1].event == "done", events[-1]
            token = events[0].data["conversation"]


def test_incomplete_answer_says_why(make_relay: MakeRelay, kb: Any) -> None:
    (kb / "assistant.yaml").write_text(f"name: {KB_NAME}\nmax_output_tokens: 16\n")
    with make_relay() as http:
        events, _ = parse_sse(ask(http, QUESTION).text)
        assert events[-1].event == "done"
        assert events[-1].data["incomplete"] == "max_output_tokens"
        text = "".join(e.data["text"] for e in events if e.event == "delta")
        assert len(text.split()) <= 16


def test_upstream_quota_is_not_a_rate_limit(relay: TestClient[Any], sandbox: Server) -> None:
    token = parse_sse(ask(relay, QUESTION).text)[0][0].data["conversation"]
    sandbox_call(sandbox, "POST", "/_sandbox/faults", {"quota": True})
    for conversation in (None, token):  # conversation create, then responses.create
        response = ask(relay, QUESTION, conversation)
        message = error_of(response, 503, "upstream_quota")
        assert "quota" in message
        assert "retry-after" not in response.headers  # waiting a second cannot help
    metrics = relay.get("/metrics").text
    assert 'relay_upstream_errors_total{code="upstream_quota"} 2' in metrics
    assert "upstream_rate_limited" not in metrics
