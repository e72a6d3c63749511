"""Regression tests for the second security review (issue 23), named after the behaviour
they pin down. Each reproduced its finding on the code before the fix."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import string
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from relay._config import Config, RateLimit, secret_problem
from relay._limits import client_key
from relay.app import create_app
from testing.club import QUESTION
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.relay._asgi import Reply, call, chat_body
from tests.relay.conftest import MakeRelay, RunRelay
from tests.relay.test_security import ask, token_of

STRONG = "a-strong-test-secret-0123456789abcdefgh"
CONTACT = "Call me on 4111  1111  1111  1111 or +7–912–345–67–89, anna＠example.ru"


def offline_app(tmp_path: Path, **overrides: Any) -> Litestar:
    """An app whose startup never runs: every admitted request ends at ``not_ready``."""
    config: dict[str, Any] = {"kb_dir": tmp_path / "kb", "relay_secret": STRONG}
    config.update(overrides)
    return create_app(Config(**config))


def post(app: Litestar, peer: str = "192.0.2.1", **kw: Any) -> Reply:
    kw.setdefault("body", chat_body())
    return asyncio.run(call(app, "POST", "/api/chat", peer=peer, **kw))


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The access-log lines (``event: request``) the relay wrote, parsed."""
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "relay"]
    return [line for line in lines if line.get("event") == "request"]


# ---- finding 10: a refused request never logs its question --------------------------------


def test_refused_requests_never_log_their_question(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relay")
    app = offline_app(
        tmp_path,
        log_questions=True,
        allowed_origins=("https://club.example",),
        rate_limit=RateLimit(1, "minute"),
    )
    body = chat_body("What does a visit cost? My card is 4111 1111 1111 1111")
    other_site = {"origin": "https://elsewhere.example"}
    assert post(app, body=body, headers=other_site).status == 403
    assert post(app, body=body).status == 503  # admitted by the limits, then not ready
    assert post(app, body=body).status == 429
    statuses = [(line["status"], "question" in line) for line in request_lines(caplog)]
    assert statuses == [(403, False), (503, False), (429, False)]


# ---- finding 13: a low-entropy RELAY_SECRET refuses to start ------------------------------


@pytest.mark.parametrize(
    "weak",
    [
        "a" * 32,
        "a" * 64,
        "ab" * 16,
        "abcd" * 8,
        "0123456789abcdef" * 2,
        "password" * 4,
        "secretsecretsecretsecretsecret12",
        "11111111111111111111111111111112",
    ],
)
def test_low_entropy_relay_secret_is_refused(weak: str) -> None:
    problem = secret_problem("RELAY_SECRET", weak)
    assert problem is not None, weak
    assert problem.startswith("RELAY_SECRET ")
    assert "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'" in problem
    assert weak not in problem


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_hex(32),
        lambda: "".join(secrets.choice(string.ascii_letters) for _ in range(40)),
    ],
    ids=["token_urlsafe(32)", "token_hex(32)", "40 random letters"],
)
def test_random_relay_secrets_are_accepted(make: Any) -> None:
    for _ in range(200):
        value = make()
        assert secret_problem("RELAY_SECRET", value) is None, value


# ---- 6to4 and Teredo: one IPv4 holder, one client -----------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # 6to4: 2002:WWXX:YYZZ::/48 embeds the IPv4 address; every /64 below it is its.
        ("2002:c633:6407::1", "2002:c633:6407:ffff::9"),
        ("2002:c633:6407::1", "198.51.100.7"),
        # Teredo: 2001:0::/32, the client's IPv4 address stored inverted in the last 32 bits.
        ("2001:0:4136:e378:8000:63bf:39cc:9bf8", "2001:0:4136:e379:0:63bf:39cc:9bf8"),
        ("2001:0:4136:e378:8000:63bf:39cc:9bf8", "198.51.100.7"),
    ],
)
def test_6to4_and_teredo_are_keyed_by_their_ipv4(first: str, second: str) -> None:
    assert client_key(first) == client_key(second) == "198.51.100.7"


def test_6to4_holder_gets_one_bucket(tmp_path: Path) -> None:
    app = offline_app(tmp_path, rate_limit=RateLimit(1, "minute"))
    assert post(app, "2002:c633:6407:1::1").status == 503  # allowed, then not ready
    for subnet in range(2, 6):
        assert post(app, f"2002:c633:6407:{subnet}::1").status == 429
    assert post(app, "2002:c633:6408:1::1").status == 503  # another IPv4's 6to4 prefix


# ---- finding 1: an abandoned answer is charged to the token budget ------------------------


def _abandon(relay: Server, deltas: int = 3) -> int:
    """Ask, read ``deltas`` answer deltas, close the stream: the status code."""
    body = {"message": QUESTION}
    with httpx.stream("POST", relay.url + "/api/chat", json=body, timeout=30) as response:
        if response.status_code != 200:
            response.read()
            assert response.json()["error"]["code"] == "budget_exhausted"
            return response.status_code
        seen = 0
        for line in response.iter_lines():
            seen += line == "event: delta"
            if seen == deltas:
                break
        assert seen == deltas
    return 200


def test_closing_streams_early_does_not_escape_the_token_budget(
    run_relay: RunRelay, sandbox: Server
) -> None:
    # Slow tokens, so that every answer is still running when the client leaves.
    faults = {"rate": 0.0, "kinds": [], "seed": 1, "latency_ms": 0, "token_delay_ms": 40}
    sandbox_call(sandbox, "POST", "/_sandbox/faults", faults)
    with run_relay(TOKEN_BUDGET="3000/hour") as relay:
        statuses = [_abandon(relay) for _ in range(12)]
    # The first answer reserves more than the budget (its max_output_tokens and an input
    # estimate); leaving early does not give it back, so the next is refused.
    assert statuses == [200] + [429] * 11


def test_finished_answers_are_charged_what_they_used(make_relay: MakeRelay) -> None:
    with make_relay(token_budget=RateLimit(20_000, "hour")) as http:
        # Each answer reserves about 7,300 tokens at admission and is settled to its
        # usage (a few hundred) when done: five fit, where five reservations would not.
        assert [ask(http).status_code for _ in range(5)] == [200] * 5


# ---- finding 2: an old token replayed cannot restart the turn count -----------------------


def _replays_are_refused(http: Any) -> None:
    first = token_of(ask(http))
    second = token_of(ask(http, "And the pool?", first))
    for _ in range(3):
        refused = ask(http, "And the sauna?", first)
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["code"] == "conversation_replayed"
        assert "start a new chat" in error["message"]
    third = ask(http, "And the gym?", second)  # the newest token still continues
    assert third.status_code == 200
    # ... once: it too is now behind.
    assert ask(http, "And the gym again?", second).json()["error"]["code"] == (
        "conversation_replayed"
    )


def test_replayed_token_is_refused(make_relay: MakeRelay) -> None:
    with make_relay(max_turns=3) as http:
        _replays_are_refused(http)


@pytest.mark.redis
def test_replayed_token_is_refused_across_replicas_with_redis(
    make_relay: MakeRelay, redis_url: str
) -> None:
    with make_relay(max_turns=3, redis_url=redis_url) as a:
        first = token_of(ask(a))
        token_of(ask(a, "And the pool?", first))
    with make_relay(max_turns=3, redis_url=redis_url) as b:
        refused = ask(b, "And the sauna?", first)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "conversation_replayed"
    with make_relay(max_turns=3, redis_url=redis_url) as c:
        _replays_are_refused(c)


# ---- finding 4: the lead form's fields are never logged, LOG_QUESTIONS or not -------------


@pytest.mark.parametrize(
    "body",
    [
        {"fields": {"name": "Zinaida", "phone": "8 916 123-45-67"}, "consent": True},
        {"fields": {"name": "Zinaida", "phone": "12345"}, "consent": True},  # refused: 400
        {"fields": {"name": "Zinaida", "phone": "8 916 123-45-67"}, "consent": False},
        {"fields": {"name": "Zinaida", "email": "zina@club.example"}, "consent": True},
    ],
    ids=["accepted", "bad-phone", "no-consent", "email"],
)
def test_lead_form_fields_are_never_logged(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    base_url: str,
    caplog: pytest.LogCaptureFixture,
    body: dict[str, Any],
) -> None:
    from tests.leads._relay import lead_kb, lead_relay

    with (
        lead_relay(
            monkeypatch, lead_kb(tmp_path), base_url, tmp_path / "leads.db", log_questions=True
        ) as http,
        caplog.at_level(logging.DEBUG, logger="relay"),
    ):
        response = http.post("/api/lead", json=body)
    assert response.status_code in (202, 400)
    (line,) = [entry for entry in request_lines(caplog) if entry["route"] == "/api/lead"]
    assert set(line) <= {
        "ts",
        "level",
        "event",
        "method",
        "route",
        "status",
        "latency_ms",
        "client",
        "kb_name",
    }
    for secret in ("Zinaida", "916", "12345", "zina@", "club.example"):
        assert secret not in caplog.text
