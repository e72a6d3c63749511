"""End to end: ``python -m relay`` as a real server in front of the live sandbox."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from testing.club import QUESTION, Seeded
from testing.sandbox import sandbox_call, set_faults, stream_counts
from testing.servers import Server
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.relay.conftest import RunRelay


def chat(
    server: Server, message: str, conversation: str | None = None, **kw: Any
) -> httpx.Response:
    body: dict[str, Any] = {"message": message}
    if conversation:
        body["conversation"] = conversation
    kw.setdefault("timeout", 30)
    return httpx.post(server.url + "/api/chat", json=body, **kw)


def slow_tokens(sandbox: Server, delay_ms: int = 200) -> None:
    set_faults(sandbox, token_delay_ms=delay_ms)


def test_event_sequence_and_two_turns(
    run_relay: RunRelay, sandbox: Server, seeded: Seeded, client: Any
) -> None:
    with run_relay() as relay:
        first = chat(relay, QUESTION)
        assert first.status_code == 200
        assert first.headers["cache-control"] == "no-cache, no-transform"
        assert first.headers["x-accel-buffering"] == "no"
        events, _ = parse_sse(first.text)
        assert events[0].event == "conversation"
        assert events[-1].event == "done"
        assert {"delta", "source"} <= {e.event for e in events}
        assert all(
            e.data["path"] == seeded.file_paths[e.data["file_id"]]
            for e in events
            if e.event == "source"
        )
        token = events[0].data["conversation"]
        second, _ = parse_sse(chat(relay, "When does the pool close?", token).text)
        # A fresh token (turn 2) for the same conversation (issue 12 item 4).
        assert second[0].data["conversation"].rsplit(".", 1)[0] == token.rsplit(".", 1)[0]
        assert second[-1].event == "done"
        conversation_id = token.rsplit(".", 1)[0]
        items = list(client.conversations.items.list(conversation_id, order="asc"))
        users = [i.content[0].text for i in items if i.type == "message" and i.role == "user"]
        assert users == [QUESTION, "When does the pool close?"]
        log = relay.output()
        assert "sk-test" not in log  # the API key never reaches a log line
        assert '"event": "request"' in log
        assert QUESTION not in log  # no question text unless LOG_QUESTIONS=1


def test_refusals(run_relay: RunRelay, sandbox: Server) -> None:
    env = {"ALLOWED_ORIGINS": "https://club.example", "RATE_LIMIT": "3/minute"}
    with run_relay(**env) as relay:
        url = relay.url + "/api/chat"
        assert (
            httpx.post(url, content=b"{}", headers={"Content-Type": "text/plain"}).status_code
            == 415
        )
        big = b'{"message": "' + b"a" * 20_000 + b'"}'
        json_type = {"Content-Type": "application/json"}
        assert httpx.post(url, content=big, headers=json_type).status_code == 413
        assert chat(relay, "   ").status_code == 400
        assert chat(relay, "a" * 2001).status_code == 400
        assert chat(relay, QUESTION, "conv_x.bad").status_code == 400
        foreign = chat(relay, QUESTION, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert foreign.json()["error"]["code"] == "origin_not_allowed"
        statuses = [chat(relay, QUESTION).status_code for _ in range(3)]  # 1 used by the bad token
        assert statuses == [200, 200, 429]
        limited = chat(relay, QUESTION)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"


def test_concurrency_cap(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay(MAX_CONCURRENT_STREAMS="1") as relay:
        slow_tokens(sandbox)
        with httpx.stream(
            "POST", relay.url + "/api/chat", json={"message": QUESTION}, timeout=30
        ) as held:
            assert held.status_code == 200
            lines = held.iter_lines()  # kept referenced: dropping it closes the connection
            assert next(lines) == "event: conversation"
            refused = chat(relay, QUESTION)
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "at_capacity"
            assert int(refused.headers["retry-after"]) >= 1
            assert next(lines).startswith("data:")
        slow_tokens(sandbox, 0)
        wait_for(lambda: chat(relay, QUESTION).status_code == 200, what="slot released")


def test_client_disconnect_closes_upstream(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay() as relay:
        slow_tokens(sandbox, 200)
        with httpx.stream(
            "POST", relay.url + "/api/chat", json={"message": QUESTION}, timeout=30
        ) as response:
            assert response.status_code == 200
            # Keep the iterator referenced: dropping it would close the connection early.
            lines = response.iter_lines()
            while not next(lines).startswith("event: delta"):
                pass
            assert stream_counts(sandbox)["open"] == 1
            aborted_before = stream_counts(sandbox)["aborted"]
            closed_at = time.monotonic()
        # Leaving the block closes the connection mid-answer.
        wait_for(
            lambda: (
                stream_counts(sandbox)["open"] == 0
                and stream_counts(sandbox)["aborted"] == aborted_before + 1
            ),
            timeout=5,
            what="the sandbox to see its stream closed",
        )
        elapsed = time.monotonic() - closed_at
        assert elapsed < 1.0, f"upstream stream closed {elapsed:.2f} s after the client left"
        assert stream_counts(sandbox)["completed"] == 0
        metrics = httpx.get(relay.url + "/metrics").text
        assert 'relay_streams_total{result="aborted"} 1' in metrics
        assert "relay_open_streams 0" in metrics


def test_upstream_failures(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay() as relay:
        token = parse_sse(chat(relay, QUESTION).text)[0][0].data["conversation"]
        for kind, status in (("429", 429), ("500", 502)):
            set_faults(sandbox, rate=1.0, kinds=[kind])
            response = chat(relay, QUESTION, token)
            assert response.status_code == status, response.text
            assert "Traceback" not in response.text
        set_faults(sandbox, rate=1.0, kinds=["drop"])
        dropped = chat(relay, QUESTION, token)
        assert dropped.status_code == 200
        events, _ = parse_sse(dropped.text)
        assert events[0].event == "conversation"
        assert events[-1].event == "error"


def test_hot_reload_of_instructions(run_relay: RunRelay, sandbox: Server, kb: Path) -> None:
    with run_relay() as relay:
        assert chat(relay, QUESTION).status_code == 200
        new = "Answer in one short sentence. Revision two.\n"
        (kb / "instructions.md").write_text(new)

        def sent_new_instructions() -> bool:
            assert chat(relay, QUESTION).status_code == 200
            log = sandbox_call(sandbox, "GET", "/_sandbox/requests?limit=5")["requests"]
            last = [r for r in log if r["path"] == "/v1/responses"][-1]
            return bool(
                last["body"]["instructions"] == new.strip() or last["body"]["instructions"] == new
            )

        wait_for(sent_new_instructions, timeout=20, what="the new instructions upstream")


def test_rate_limit_per_forwarded_client(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay(RATE_LIMIT="1/minute", TRUSTED_PROXIES="127.0.0.1") as relay:

        def from_client(address: str) -> int:
            return chat(relay, QUESTION, headers={"X-Forwarded-For": address}).status_code

        assert from_client("198.51.100.1") == 200
        assert from_client("198.51.100.2") == 200
        assert from_client("198.51.100.1") == 429
        # A spoofed first hop does not help: the proxy appended the real address last.
        assert from_client("203.0.113.50, 198.51.100.2") == 429


def test_workers_share_the_generated_secret(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay("--workers", "2", RELAY_SECRET="") as relay:
        assert httpx.get(relay.url + "/api/ping").json()["ok"] is True
        events, _ = parse_sse(chat(relay, QUESTION).text)
        token = events[0].data["conversation"]
        for _ in range(4):  # new connections: either worker may answer (and check the turn)
            answered = chat(relay, "When does the pool close?", token)
            assert answered.status_code == 200
            token = parse_sse(answered.text)[0][0].data["conversation"]
        assert relay.output().count("relay_secret_missing") == 1


def test_client_gone_before_the_first_byte(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay() as relay:
        set_faults(sandbox, latency_ms=700, token_delay_ms=200)
        try:
            chat(relay, QUESTION, timeout=0.3)
        except httpx.TimeoutException:
            pass
        else:  # pragma: no cover
            raise AssertionError("the relay answered before the upstream did")
        # The relay still opens the upstream stream, sees the client gone, and closes it.
        wait_for(
            lambda: stream_counts(sandbox)["aborted"] == 1 and stream_counts(sandbox)["open"] == 0,
            timeout=10,
            what="the upstream stream to be closed",
        )
        wait_for(
            lambda: "relay_open_streams 0" in httpx.get(relay.url + "/metrics").text,
            what="the relay to free the slot",
        )
        assert stream_counts(sandbox)["completed"] == 0


def test_second_message_while_the_first_runs_is_busy(run_relay: RunRelay, sandbox: Server) -> None:
    with run_relay() as relay:
        token = parse_sse(chat(relay, QUESTION).text)[0][0].data["conversation"]
        slow_tokens(sandbox, 200)
        body = {"message": QUESTION, "conversation": token}
        with httpx.stream("POST", relay.url + "/api/chat", json=body, timeout=30) as held:
            assert held.status_code == 200
            lines = held.iter_lines()  # kept referenced: dropping it closes the connection
            newest = ""  # the running answer's token, as the widget keeps it
            while not (line := next(lines)).startswith("event: delta"):
                if line.startswith('data: {"conversation"'):
                    newest = json.loads(line.removeprefix("data: "))["conversation"]
            busy = chat(relay, "And the pool?", newest)
            assert busy.status_code == 409, busy.text
            assert busy.json()["error"]["code"] == "conversation_busy"
            assert int(busy.headers["retry-after"]) >= 1
            assert "Traceback" not in busy.text
        slow_tokens(sandbox, 0)
        wait_for(
            lambda: chat(relay, "And the pool?", newest).status_code == 200,
            what="the conversation free again",
        )
        # The older token was replaced by the running answer's: it is refused as a replay.
        assert chat(relay, "And the sauna?", token).json()["error"]["code"] == (
            "conversation_replayed"
        )
