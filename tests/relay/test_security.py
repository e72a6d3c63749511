"""Regression tests for the security review (issue 12), grouped by its items, each named
after the behaviour it checks. Each reproduced the hole on the code before its fix."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import logging
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from relay._config import Config, RateLimit
from relay._counters import Clock
from relay.app import create_app
from testing.clock import FakeClock
from testing.club import QUESTION
from testing.sandbox import API_KEY, sandbox_call
from testing.servers import ROOT, Server
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.relay._asgi import Reply, call, chat_body
from tests.relay._helpers import KB_NAME
from tests.relay.conftest import MakeRelay, RunRelay

STRONG = "a-strong-test-secret-0123456789abcdefgh"
EXAMPLE_ENV = ROOT / "deploy" / "kbsync.env.example"


def offline_app(tmp_path: Path, clock: Clock = time.time, **overrides: Any) -> Litestar:
    """An app whose startup never runs: every admitted request ends at ``not_ready``."""
    config: dict[str, Any] = {"kb_dir": tmp_path / "kb", "relay_secret": STRONG}
    config.update(overrides)
    return create_app(Config(**config), clock=clock)


def post(app: Litestar, peer: str = "192.0.2.1", **kw: Any) -> Reply:
    kw.setdefault("body", chat_body())
    return asyncio.run(call(app, "POST", "/api/chat", peer=peer, **kw))


def code_of(reply: Reply) -> str:
    code: str = reply.json()["error"]["code"]
    return code


def ask(http: Any, message: str = QUESTION, conversation: str | None = None, **kw: Any) -> Any:
    body: dict[str, Any] = {"message": message}
    if conversation is not None:
        body["conversation"] = conversation
    return http.post("/api/chat", json=body, **kw)


def token_of(response: Any) -> str:
    assert response.status_code == 200, response.text
    events, _ = parse_sse(response.text)
    token: str = events[0].data["conversation"]
    return token


def claims_of(token: str) -> list[Any]:
    """``[conversation id, KB name, issued at, turn]`` from a token (its format is
    ``<conversation id>.<base64url of the 32-byte HMAC, then the JSON claims>``)."""
    conversation_id, _, seal = token.rpartition(".")
    sealed = base64.urlsafe_b64decode(seal + "=" * (-len(seal) % 4))
    return [conversation_id, *json.loads(sealed[32:])]


# ---- item 2: the relay does not read .env from its working directory ----------------------


def test_relay_ignores_dotenv_in_its_working_directory(run_relay: RunRelay, tmp_path: Path) -> None:
    # run_relay starts the relay in tmp_path: a committed .env there must change nothing.
    (tmp_path / ".env").write_text("RELAY_DEMO=1\nMAX_MESSAGE_CHARS=3\n")
    with run_relay() as relay:
        assert httpx.get(relay.url + "/").status_code == 404
        response = httpx.post(relay.url + "/api/chat", json={"message": "four"}, timeout=30)
        assert response.status_code == 200


def test_env_file_option_reads_the_operators_file(run_relay: RunRelay, tmp_path: Path) -> None:
    env_file = tmp_path / "operator.env"
    env_file.write_text("RELAY_DEMO=1\nMAX_MESSAGE_CHARS=3\n")
    with run_relay("--env-file", str(env_file)) as relay:
        assert httpx.get(relay.url + "/").status_code == 200
        response = httpx.post(relay.url + "/api/chat", json={"message": "four"}, timeout=30)
        assert response.json()["error"]["code"] == "message_too_long"


def test_missing_env_file_is_one_line(tmp_path: Path) -> None:
    result = run_relay_command(tmp_path, "--env-file", str(tmp_path / "nope.env"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: Cannot read the environment file {tmp_path / 'nope.env'}: "
        "No such file or directory."
    ]


# ---- item 3: clients by /64, bounded memory, streams per client, token budgets ------------


def test_ipv6_64_shares_one_bucket(tmp_path: Path) -> None:
    app = offline_app(tmp_path, rate_limit=RateLimit(1, "minute"))
    assert post(app, "2001:db8:1:2::1").status == 503  # allowed, then not ready (offline)
    refused = post(app, "2001:db8:1:2:ffff:ffff:ffff:9")  # same /64, another address
    assert refused.status == 429
    assert code_of(refused) == "rate_limited"
    assert post(app, "2001:db8:1:3::1").status == 503  # the next /64 is another client
    assert post(app, "198.51.100.7").status == 503
    assert post(app, "198.51.100.8").status == 503  # IPv4: one address, one client
    assert post(app, "::ffff:198.51.100.7").status == 429  # IPv4-mapped IPv6: the same client


def test_limiter_memory_is_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """30,000 clients in one-second windows: two windows later, their memory is back."""
    caplog.set_level(logging.WARNING, logger="relay")  # 30,000 captured log lines aside
    clock = FakeClock(1_800_000_000.0)
    app = offline_app(tmp_path, clock, rate_limit=RateLimit(5, "second"))

    async def flood(start: int, count: int) -> None:
        """``count`` clients, one request each, 1,000 a second (on the test's clock)."""
        for n in range(start, start + count):
            peer = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
            reply = await call(app, "POST", "/api/chat", body=chat_body(), peer=peer)
            assert reply.status == 503
            clock.advance(0.001)

    async def scenario() -> tuple[int, int]:
        await flood(0, 500)  # warm every cache first
        clock.advance(2.1)
        await flood(0, 1)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            await flood(1000, 30_000)
            gc.collect()
            peak = tracemalloc.get_traced_memory()[0] - before
            clock.advance(2.1)  # the flood's window and the next have ended
            await flood(0, 1)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        return peak, after

    peak, after = asyncio.run(scenario())
    print(f"limiter memory: peak {peak / 1e6:.2f} MB, after the windows ended {after / 1e6:.3f} MB")
    assert after < 512 * 1024, f"{after / 1e6:.1f} MB still held (peak {peak / 1e6:.1f} MB)"


def test_streams_per_client(run_relay: RunRelay, sandbox: Server) -> None:
    sandbox_call(
        sandbox,
        "POST",
        "/_sandbox/faults",
        {"rate": 0.0, "kinds": [], "seed": 1, "latency_ms": 0, "token_delay_ms": 150},
    )
    with run_relay(MAX_STREAMS_PER_CLIENT="2", MAX_CONCURRENT_STREAMS="50") as relay:
        with open_streams(relay, 2) as failures:
            assert not failures, failures
            refused = httpx.post(relay.url + "/api/chat", json={"message": QUESTION}, timeout=30)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "too_many_streams"
            assert int(refused.headers["retry-after"]) >= 1
        wait_for(
            lambda: "relay_open_streams 0" in httpx.get(relay.url + "/metrics").text,
            what="both streams to end",
        )
        sandbox_call(sandbox, "POST", "/_sandbox/faults", {"rate": 0.0, "kinds": []})
        again = httpx.post(relay.url + "/api/chat", json={"message": QUESTION}, timeout=30)
        assert again.status_code == 200


def test_token_budget(make_relay: MakeRelay) -> None:
    clock = FakeClock(1_800_000_015.0)  # 15 s into an hour
    with make_relay(token_budget=RateLimit(40, "hour"), clock=clock) as http:
        first = ask(http)
        events, _ = parse_sse(first.text)
        usage = events[-1].data["usage"]
        assert usage["input_tokens"] + usage["output_tokens"] >= 40  # one answer spends it
        refused = wait_for(lambda: (r := ask(http)).status_code == 429 and r, what="budget")
        assert refused.json()["error"]["code"] == "budget_exhausted"
        assert refused.headers["retry-after"] == "3585"  # the hour's end
        assert "40/hour" in refused.json()["error"]["message"]


@contextmanager
def open_streams(relay: Server, count: int) -> Iterator[list[BaseException]]:
    """``count`` answers from this client, each open (its first event read) until the end."""
    opened = threading.Barrier(count + 1, timeout=30)
    release = threading.Event()
    failures: list[BaseException] = []

    def hold() -> None:
        try:
            body = {"message": QUESTION}
            with httpx.stream("POST", relay.url + "/api/chat", json=body, timeout=30) as response:
                assert response.status_code == 200, response.read()
                lines = response.iter_lines()  # kept: dropping it would close the stream
                assert next(lines) == "event: conversation"
                opened.wait()
                release.wait(30)
        except BaseException as exc:
            failures.append(exc)
            opened.abort()

    threads = [threading.Thread(target=hold) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        with suppress(threading.BrokenBarrierError):  # a stream failed: reported below
            opened.wait()
        yield failures
    finally:
        release.set()
        for thread in threads:
            thread.join(30)
    assert not failures, failures


# ---- item 4: tokens expire, conversations are bounded, weak secrets refuse to start -------


def test_token_carries_conversation_kb_time_and_turn(make_relay: MakeRelay) -> None:
    with make_relay() as http:
        before = int(time.time())
        first = token_of(ask(http))
        conversation, kb_name, issued, turn = claims_of(first)
        assert kb_name == KB_NAME
        assert before <= issued <= time.time()
        assert turn == 1
        second = token_of(ask(http, "And the pool?", first))
        assert claims_of(second)[0] == conversation
        assert claims_of(second)[3] == 2


def test_expired_conversation_is_refused(make_relay: MakeRelay) -> None:
    clock = FakeClock(1_800_000_000.0)
    with make_relay(conversation_ttl=1, clock=clock) as http:
        token = token_of(ask(http))
        clock.advance(2)  # older than the TTL of 1 s
        refused = ask(http, "And the pool?", token)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "conversation_expired"
        assert "start a new chat" in refused.json()["error"]["message"]


def test_full_conversation_is_refused(make_relay: MakeRelay) -> None:
    with make_relay(max_turns=2) as http:
        first = token_of(ask(http))
        second = token_of(ask(http, "And the pool?", first))
        refused = ask(http, "And the sauna?", second)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "conversation_full"
        assert "2 messages" in refused.json()["error"]["message"]
        # An old token of the same conversation does not reopen it: it is a replay.
        replayed = ask(http, "And the gym?", first)
        assert replayed.status_code == 400
        assert replayed.json()["error"]["code"] == "conversation_replayed"


def test_previous_secret_still_verifies(make_relay: MakeRelay) -> None:
    old, new = STRONG, "the-next-secret-" + "z" * 32
    with make_relay(relay_secret=old) as http:
        token = token_of(ask(http))
    with make_relay(relay_secret=new, relay_secret_previous=old) as http:
        fresh = token_of(ask(http, "And the pool?", token))
    with make_relay(relay_secret=new) as http:  # rotation done: the fresh token is the new one's
        assert ask(http, "And the sauna?", fresh).status_code == 200
        refused = ask(http, "And the sauna?", token)
        assert refused.json()["error"]["code"] == "invalid_conversation"


def example_secret() -> str:
    for line in EXAMPLE_ENV.read_text().splitlines():
        if line.startswith("RELAY_SECRET="):
            return line.partition("=")[2]
    raise AssertionError("deploy/kbsync.env.example has no RELAY_SECRET line")


def run_relay_command(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "OPENAI_API_KEY": API_KEY,
        "KB_DIR": str(cwd / "kb"),
        "RELAY_SECRET": STRONG,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "relay", "--port", "1", *args],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=20,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("RELAY_SECRET", "change-me", "shorter than 32 bytes"),
        ("RELAY_SECRET", "x" * 31, "shorter than 32 bytes"),
        ("RELAY_SECRET", example_secret(), "the example file's placeholder"),
        ("RELAY_SECRET_PREVIOUS", "change-me", "shorter than 32 bytes"),
    ],
)
def test_weak_secret_refuses_to_start(tmp_path: Path, variable: str, value: str, says: str) -> None:
    result = run_relay_command(tmp_path, **{variable: value})
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {variable} ")
    assert says in line
    assert value not in line


def test_kbsync_dev_replaces_a_weak_secret(tmp_path: Path) -> None:
    from kbsync._dev import relay_secret_for

    generated = relay_secret_for({"RELAY_SECRET": "change-me"}, tmp_path)
    assert generated != "change-me"
    assert len(generated) >= 32
    assert relay_secret_for({}, tmp_path) == generated  # kept, so chats survive restarts
    assert relay_secret_for({"RELAY_SECRET": STRONG}, tmp_path) == STRONG


# ---- item 6: the same-origin fallback only on the demo --------------------------------------


def test_forged_host_and_origin_pair_is_refused(tmp_path: Path) -> None:
    forged = {"origin": "http://rebound.example:8000", "host": "rebound.example:8000"}
    for overrides in ({}, {"allowed_origins": ("https://club.example",)}):
        app = offline_app(tmp_path, **overrides)
        refused = post(app, headers=forged)
        assert refused.status == 403
        assert code_of(refused) == "origin_not_allowed"
    # The demo page (RELAY_DEMO=1) is served by the relay itself: same origin is fine there.
    assert post(offline_app(tmp_path, demo=True), headers=forged).status == 503


# ---- item 7: malformed bodies of any shape are 400 ----------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 7000 + b"]" * 7000,
        b'{"message": ' + b"[" * 7000 + b"]" * 7000 + b"}",
        b'{"a":' * 2500 + b"1" + b"}" * 2500,
        b"[" * 15000,
    ],
    ids=["arrays", "in-message", "objects", "unclosed"],
)
def test_deeply_nested_json_is_400(
    tmp_path: Path, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relay")
    reply = post(offline_app(tmp_path), body=body)
    assert reply.status == 400
    assert code_of(reply) == "invalid_body"
    assert "Traceback" not in caplog.text
    assert "internal_error" not in caplog.text


def _nested(depth: int, kinds: str) -> bytes:
    opening = "".join("[" if kinds[i % len(kinds)] == "a" else '{"k":' for i in range(depth))
    closing = "".join("]" if kinds[i % len(kinds)] == "a" else "}" for i in reversed(range(depth)))
    return (opening + '"x"' + closing).encode()


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    _json_values.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(["message", "conversation", "x"]), _json_values).map(
        lambda value: json.dumps(value).encode()
    ),
    st.builds(_nested, st.integers(1, 8000), st.text(alphabet="ao", min_size=1, max_size=3)),
)


def test_fuzz_bodies_are_never_500(tmp_path: Path) -> None:
    app = offline_app(tmp_path, rate_limit=None, max_body_bytes=64 * 1024)

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=_bodies)
    def check(body: bytes) -> None:
        reply = asyncio.run(call(app, "POST", "/api/chat", body=body or b" "))
        # 503: a well-formed message reached the readiness check of this offline relay.
        assert reply.status in (400, 413, 503), (reply.status, body[:80])
        assert "error" in reply.json()

    check()


# ---- item 9: readiness, nosniff, the widget's URLs, the embed line, the demo page's CSP ---


def test_readyz_answers_ready_only(
    relay: TestClient[Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert relay.get("/readyz").json() == {"ready": True}
    caplog.set_level(logging.INFO, logger="relay")
    with TestClient(offline_app(tmp_path / "elsewhere")) as http:  # no kb/ there
        response = http.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"ready": False})
    assert "does not exist" in caplog.text  # the reason is in the log, not the answer


def test_every_response_says_nosniff(relay: TestClient[Any], tmp_path: Path) -> None:
    responses = [
        ask(relay),  # the event stream
        relay.post("/api/chat", content=b"{", headers={"Content-Type": "application/json"}),
        relay.get("/api/ping"),
        relay.get("/healthz"),
        relay.get("/readyz"),
        relay.get("/metrics"),
        relay.get("/widget.js"),
        relay.get("/schema/openapi.json"),
        relay.get("/"),  # 404: the demo is off
        relay.get("/nowhere"),
        relay.delete("/api/chat"),
    ]
    with TestClient(offline_app(tmp_path, demo=True)) as http:
        responses.append(http.get("/"))
        widget = http.get("/widget.js")
        responses += [
            widget,
            http.get("/widget.js", headers={"If-None-Match": widget.headers["etag"]}),
        ]
    for response in responses:
        assert response.headers.get_list("x-content-type-options") == ["nosniff"], response.url


def widget_bytes() -> bytes:
    return (ROOT / "relay" / "widget" / "widget.js").read_bytes()


def test_widget_is_javascript_once(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path)) as http:
        response = http.get("/widget.js")
    assert response.headers.get_list("content-type") == ["text/javascript; charset=utf-8"]
    assert response.headers["etag"]
    assert response.headers["cache-control"] == "public, max-age=300"


def test_content_addressed_widget(tmp_path: Path) -> None:
    body = widget_bytes()
    sha = hashlib.sha256(body).hexdigest()[:16]
    with TestClient(offline_app(tmp_path)) as http:
        pinned = http.get(f"/widget/{sha}.js", headers={"Origin": "https://club.example"})
        assert pinned.status_code == 200
        assert pinned.content == body
        assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert pinned.headers["access-control-allow-origin"] == "*"
        assert pinned.headers.get_list("content-type") == ["text/javascript; charset=utf-8"]
        for other in ("0" * 16, sha[:15], sha.upper(), sha + "0", "widget"):
            response = http.get(f"/widget/{other}.js")
            assert response.status_code == 404, other
            assert response.json()["error"]["code"] == "not_found"


def embed_line(url: str) -> str:
    body = widget_bytes()
    sha = hashlib.sha256(body).hexdigest()[:16]
    integrity = "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()
    return (
        f'<script src="{url}/widget/{sha}.js" data-api="{url}/api" integrity="{integrity}" '
        'crossorigin="anonymous" defer></script>'
    )


def test_print_embed(tmp_path: Path) -> None:
    given_url = run_relay_command(
        tmp_path, "--print-embed", "--public-url", "https://chat.example/"
    )
    assert (given_url.returncode, given_url.stdout) == (
        0,
        embed_line("https://chat.example") + "\n",
    )
    from_env = run_relay_command(tmp_path, "--print-embed", PUBLIC_URL="https://kb.example.org")
    assert from_env.stdout == embed_line("https://kb.example.org") + "\n"
    default = run_relay_command(tmp_path, "--print-embed")
    assert default.stdout == embed_line("http://127.0.0.1:8000") + "\n"
    bad = run_relay_command(tmp_path, "--print-embed", "--public-url", "chat.example")
    assert bad.returncode == 1
    assert bad.stderr == (
        "error: --public-url must be an http(s) URL like https://chat.example.org; "
        "got 'chat.example'.\n"
    )


def test_demo_page_runs_under_a_strict_csp(tmp_path: Path) -> None:
    with TestClient(offline_app(tmp_path, demo=True)) as http:
        page = http.get("/")
        csp = page.headers["content-security-policy"]
        html = page.text
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert directives["script-src"] == ["'self'"]
        assert directives["connect-src"] == ["'self'"]
        assert directives["default-src"] == ["'none'"]
        assert "'unsafe-inline'" not in directives.get("script-src", [])
        assert "unsafe-eval" not in csp
        # The page loads the widget from its content-addressed URL, with its integrity hash.
        line = embed_line("")
        src = line.split('src="')[1].split('"')[0]
        integrity = line.split('integrity="')[1].split('"')[0]
        assert f'src="{src}"' in html
        assert f'integrity="{integrity}"' in html
        assert "<script>" not in html
        assert "onclick" not in html.lower()
        assert http.get(src).status_code == 200
