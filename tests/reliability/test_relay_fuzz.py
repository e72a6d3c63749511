"""Hypothesis-generated requests against ``POST /api/chat``, in-process, on a live sandbox.

Over 1,000 cases in four families: any bytes under any content type, any JSON, odd
messages in a valid body, and odd headers (origins, ``X-Forwarded-For``, conversation
tokens). Every answer must be one of the statuses docs/http-api.md lists for a request the
client got wrong (400 / 403 / 413 / 415) with the error shape ``{"error": {"code",
"message"}}``, or a complete SSE answer. The upstream statuses 502 / 503 / 504 (and
429: the limit here is set far out of reach) count as failures: the sandbox is healthy,
so they would mean the relay let a bad input reach OpenAI and fail there. No body may
hold a traceback, an exception class name or a source path.

Schemathesis is not used: the relay's only body-taking route is this one, its schema
says little beyond ``{"message": string}``, and the interesting inputs (raw bytes, lone
surrogates, header values) are outside what a schema-driven generator produces.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send

from relay._config import Config, RateLimit
from relay._token import TokenSigner
from relay.app import create_app
from testing.club import QUESTION
from testing.sse import parse_sse
from testing.waiting import wait_for
from tests.relay._helpers import KB_NAME
from tests.relay.conftest import SECRET

ORIGIN = "https://shop.example"
PEER = "10.0.0.7"  # a trusted proxy, so X-Forwarded-For is read

CLIENT_ERRORS = {
    400: {
        "invalid_body",
        "empty_message",
        "message_too_long",
        "invalid_conversation",
        "conversation_not_found",
        "conversation_replayed",  # a valid token sent again: the state refuses the replay
    },
    403: {"origin_not_allowed"},
    413: {"body_too_large"},
    415: {"unsupported_media_type"},
}
# Exception class names (ValueError, InvalidToken, ...), source paths, tracebacks.
_FORBIDDEN = re.compile(
    r"Traceback|File \"|\.py\b|\b[A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt)\b"
    r"|\b(?:InvalidToken|ConversationGone|VectorStoreGone|StopAsyncIteration)\b"
)

FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


class _AsPeer:
    """Present every request as coming from ``PEER`` (the test client's peer is no IP)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["client"] = (PEER, 40000)
        await self.app(scope, receive, send)


@dataclasses.dataclass
class Fuzz:
    http: TestClient[Any]
    token: str  # a real conversation token, from one good answer
    statuses: Counter[int] = dataclasses.field(default_factory=Counter)

    @property
    def cases(self) -> int:
        return self.statuses.total()

    def post(self, body: bytes, headers: dict[str, Any]) -> Any:
        response = self.http.post("/api/chat", content=body, headers=headers)
        self.statuses[response.status_code] += 1
        check(response)
        return response


@pytest.fixture
def fuzz(relay_config: Config) -> Iterator[Fuzz]:
    config = dataclasses.replace(
        relay_config,
        allowed_origins=(ORIGIN,),
        rate_limit=RateLimit(1_000_000, "minute"),  # on, so client_ip() runs, never reached
        trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),),
    )
    app = create_app(config)
    app.asgi_handler = _AsPeer(app.asgi_handler)
    with TestClient(app, timeout=30) as http:
        wait_for(lambda: http.get("/readyz").status_code == 200, what="relay ready")
        first = http.post("/api/chat", json={"message": QUESTION})
        events, _ = parse_sse(first.text)
        yield Fuzz(http, events[0].data["conversation"])


def check(response: Any) -> None:
    text = response.text
    assert not _FORBIDDEN.search(text), text[:2000]
    if response.status_code == 200:
        assert response.headers["content-type"].startswith("text/event-stream")
        events, _ = parse_sse(text)
        names = [e.event for e in events]
        assert names[0] == "conversation", text[:2000]
        assert names[-1] == "done", text[:2000]  # a healthy sandbox: no error event
        assert names.count("done") == 1
        return
    assert response.status_code in CLIENT_ERRORS, f"{response.status_code}: {text[:2000]}"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert list(body) == ["error"], body
    assert isinstance(body["error"], dict)
    assert sorted(body["error"]) == ["code", "message"], body
    code, message = body["error"]["code"], body["error"]["message"]
    assert code in CLIENT_ERRORS[response.status_code], body
    assert isinstance(message, str)
    assert message.strip()


# --- strategies ----------------------------------------------------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)

CONTENT_TYPES = [
    None,
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json;charset=latin-1",
    "application/json ; foo=bar",
    "application/jsonx",
    "application/json-patch+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/plain",
    "text/event-stream",
    "",
    ";",
    "application/json, text/plain",
]
content_types = st.sampled_from(CONTENT_TYPES) | st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60
)

# Unicode with the awkward parts in: controls, bidi marks, zero widths, astral planes.
_AWKWARD = "\x00\x01\x07\x08\x1b\x7f\u0085\u200b\u200d\u202e\u2066\u2028\ufeff\ufffd\U0001f600"
awkward_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from(list(_AWKWARD)), min_size=0, max_size=300
)


@st.composite
def odd_messages(draw: st.DrawFn) -> bytes:
    """A ``{"message": ...}`` body whose message is odd but often valid."""
    kind = draw(st.sampled_from(["text", "huge", "spaces", "surrogate", "escaped", "long"]))
    if kind == "huge":  # past the body cap
        message = draw(st.sampled_from(["a", "я", "😀", "\x00"])) * draw(
            st.integers(4_000, 100_000)
        )
    elif kind == "long":  # within the body cap, past MAX_MESSAGE_CHARS
        message = "b" * draw(st.integers(1_990, 2_010))
    elif kind == "spaces":
        message = draw(st.text(st.sampled_from(" \t\n\r\u00a0\u2003\u3000"), max_size=50))
    elif kind in ("surrogate", "escaped"):
        # Lone surrogates and control characters are valid JSON escapes, invalid UTF-8.
        units = draw(st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=20))
        if kind == "surrogate":
            units.insert(draw(st.integers(0, len(units))), draw(st.integers(0xD800, 0xDFFF)))
        escaped = "hi " + "".join(f"\\u{unit:04x}" for unit in units)
        return b'{"message": "' + escaped.encode() + b'"}'
    else:
        message = draw(awkward_text)
    body: dict[str, str | None] = {"message": message}
    if draw(st.booleans()):
        body["conversation"] = draw(st.none() | st.just(""))
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def _header_text(max_size: int) -> st.SearchStrategy[bytes]:
    """Header values as a server could receive them: any bytes but CR, LF and NUL."""
    chars = st.characters(codec="utf-8", exclude_characters="\r\n\x00")
    return st.text(chars, max_size=max_size).map(lambda s: s.encode("utf-8"))


ORIGINS: list[str | None] = [
    None,
    ORIGIN,
    ORIGIN + "/",
    ORIGIN.upper(),
    "https://shop.example.evil.test",
    "http://shop.example",
    "https://evil.test",
    "null",
    "file://",
    "",
    "http://testserver.local",
]
origins = st.sampled_from(ORIGINS).map(lambda o: None if o is None else o.encode()) | _header_text(
    100
)

_ips = st.ip_addresses().map(str)
forwarded_for = (
    st.none()
    | st.lists(_ips, min_size=1, max_size=6).map(lambda hops: ", ".join(hops).encode())
    | st.lists(_ips | st.text(max_size=20), min_size=1, max_size=6).map(
        lambda hops: ",".join(hops).encode("utf-8")
    )
    | _header_text(200)
)


@st.composite
def tokens(draw: st.DrawFn, real: str) -> str | None:
    other = TokenSigner(SECRET)
    kind = draw(
        st.sampled_from(
            ["none", "real", "garbage", "tampered", "foreign_kb", "foreign_secret", "unknown"]
        )
    )
    conversation_id, _, _ = real.rpartition(".")
    if kind == "none":
        return None
    if kind == "real":
        return real
    if kind == "garbage":
        return draw(st.text(max_size=600))
    if kind == "tampered":
        at = draw(st.integers(0, len(real) - 1))
        replacement = draw(st.characters(codec="utf-8"))
        return real[:at] + replacement + real[at + 1 :]
    if kind == "foreign_kb":
        return other.sign(KB_NAME + "-other", conversation_id)
    if kind == "foreign_secret":
        return TokenSigner(SECRET + "-other").sign(KB_NAME, conversation_id)
    # Well signed, but no such conversation upstream.
    unknown = "conv_" + draw(st.text("0123456789abcdef", min_size=1, max_size=48))
    return other.sign(KB_NAME, unknown)


# --- the four families (300 + 300 + 200 + 300 cases) ----------------------------------


def test_any_bytes_under_any_content_type(fuzz: Fuzz) -> None:
    @settings(FUZZ, max_examples=300)
    @given(
        body=st.binary(max_size=3000) | json_values.map(lambda v: json.dumps(v).encode()),
        content_type=content_types,
    )
    @example(body=b"{}", content_type="text/plain")
    @example(body=b"\xff\xfe{", content_type="application/json")
    def case(body: bytes, content_type: str | None) -> None:
        headers = {} if content_type is None else {"content-type": content_type}
        fuzz.post(body, headers)

    case()
    assert fuzz.cases >= 300
    assert {400, 415} <= set(fuzz.statuses), fuzz.statuses


def test_any_json(fuzz: Fuzz) -> None:
    wrong_types = st.fixed_dictionaries(
        {"message": json_values},
        optional={"conversation": json_values, "extra": json_values},
    )

    @settings(FUZZ, max_examples=300)
    @given(value=json_values | wrong_types, ascii_only=st.booleans())
    @example(value={"message": "pool hours?", "extra": [1, None]}, ascii_only=False)
    @example(value={"message": 5}, ascii_only=True)
    def case(value: Any, ascii_only: bool) -> None:
        body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        fuzz.post(body, {"content-type": "application/json"})

    case()
    assert fuzz.cases >= 300
    assert {200, 400} <= set(fuzz.statuses), fuzz.statuses


def test_odd_messages(fuzz: Fuzz) -> None:
    @settings(FUZZ, max_examples=200)
    @given(body=odd_messages())
    @example(body='{"message": "Часы работы? \u202e\u200b"}'.encode())
    @example(body=b'{"message": " \\t\\n "}')
    @example(body=b'{"message": "' + b"x" * 20_000 + b'"}')
    def case(body: bytes) -> None:
        fuzz.post(body, {"content-type": "application/json"})

    case()
    assert fuzz.cases >= 200
    assert {200, 400, 413} <= set(fuzz.statuses), fuzz.statuses


def test_odd_headers(fuzz: Fuzz) -> None:
    @settings(FUZZ, max_examples=300)
    @given(
        origin=origins,
        forwarded=forwarded_for,
        token=tokens(fuzz.token),
        content_type=st.sampled_from(CONTENT_TYPES[1:6]),
        message=st.sampled_from([QUESTION, "opening hours?", "  pool  "]),
    )
    @example(
        origin=ORIGIN.encode(),
        forwarded=b"1.2.3.4",
        token=None,
        content_type="application/json",
        message=QUESTION,
    )
    @example(
        origin=b"https://evil.test",
        forwarded=None,
        token=None,
        content_type="application/json",
        message=QUESTION,
    )
    @example(
        origin=None, forwarded=None, token="x.y", content_type="application/json", message=QUESTION
    )
    def case(
        origin: bytes | None,
        forwarded: bytes | None,
        token: str | None,
        content_type: str,
        message: str,
    ) -> None:
        headers: dict[str, Any] = {"content-type": content_type}
        if origin is not None:
            headers["origin"] = origin
        if forwarded is not None:
            headers["x-forwarded-for"] = forwarded
        body: dict[str, Any] = {"message": message}
        if token is not None:
            body["conversation"] = token
        fuzz.post(json.dumps(body).encode(), headers)

    case()
    assert fuzz.cases >= 300
    assert {200, 400, 403} <= set(fuzz.statuses), fuzz.statuses


def test_a_lone_surrogate_is_refused_not_a_500(fuzz: Fuzz) -> None:
    """Found by this fuzzer: ``"\\ud800"`` is valid JSON but no UTF-8; it once reached the
    OpenAI client, failed to encode there and answered 500."""
    response = fuzz.post(b'{"message": "hi \\ud800"}', {"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_body"
    assert "surrogate" in response.json()["error"]["message"]


@pytest.mark.parametrize("separator", ["\u0085", "\u2028", "\u2029"])
def test_unicode_line_separators_do_not_cut_the_stream(fuzz: Fuzz, separator: str) -> None:
    """Found by this fuzzer: the upstream echoes the message unescaped in its events, and
    the relay split SSE lines like ``str.splitlines`` (at U+0085, U+2028, ...): the cut
    JSON ended the answer with an ``error`` event."""
    body = json.dumps({"message": f"0{separator}0 pool"}, ensure_ascii=False).encode()
    response = fuzz.post(body, {"content-type": "application/json"})
    assert response.status_code == 200
