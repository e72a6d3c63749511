"""Configuration: typed, read once from the environment (and only a file the operator
names); bad values name the variable."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from relay._config import PLACEHOLDER_SECRET, Config, RateLimit
from relay._errors import ConfigError

SECRET = "config-test-secret-0123456789abcdef"


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("RELAY_DEMO=1\nRATE_LIMIT=off\n")  # never read by itself
    config = Config.from_env({})
    assert config == Config()
    assert not config.demo
    assert config.max_streams_per_client == 2
    assert config.token_budget is None
    assert config.conversation_ttl == 30 * 86400
    assert config.max_turns == 50
    assert config.kb_dir == Path("kb")
    assert config.rate_limit == RateLimit(20, "minute")
    assert config.allowed_origins == ()
    assert config.keepalive_seconds == 15.0


def test_every_variable(tmp_path: Path) -> None:
    config = Config.from_env(
        {
            "OPENAI_API_KEY": "sk-x",
            "OPENAI_BASE_URL": "http://127.0.0.1:8787/v1",
            "KB_DIR": "content/kb",
            "VECTOR_STORE_ID": "vs_1",
            "RELAY_SECRET": SECRET,
            "RELAY_SECRET_PREVIOUS": SECRET + "-old",
            "TOKEN_BUDGET": "200000/day",
            "MAX_STREAMS_PER_CLIENT": "3",
            "CONVERSATION_TTL": "12h",
            "MAX_TURNS": "20",
            "PUBLIC_URL": "https://chat.example/",
            "ALLOWED_ORIGINS": "https://Club.example/, http://localhost:3000",
            "RATE_LIMIT": "5/hour",
            "MAX_MESSAGE_CHARS": "100",
            "MAX_CONCURRENT_STREAMS": "7",
            "TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "RELAY_DEMO": "1",
            "LOG_QUESTIONS": "true",
            "HOST": "0.0.0.0",
            "PORT": "9000",
        },
        env_file=None,
    )
    assert config.openai_api_key == "sk-x"
    assert (config.relay_secret, config.relay_secret_previous) == (SECRET, SECRET + "-old")
    assert config.token_budget == RateLimit(200000, "day")
    assert config.max_streams_per_client == 3
    assert (config.conversation_ttl, config.max_turns) == (12 * 3600, 20)
    assert config.public_url == "https://chat.example"
    assert config.kb_dir == Path("content/kb")
    assert config.allowed_origins == ("https://club.example", "http://localhost:3000")
    assert config.rate_limit == RateLimit(5, "hour")
    assert config.max_message_chars == 100
    assert config.max_concurrent_streams == 7
    assert config.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1"),
    )
    assert config.demo
    assert config.log_questions
    assert (config.host, config.port) == ("0.0.0.0", 9000)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20/minute", RateLimit(20, "minute")),
        ("1/second", RateLimit(1, "second")),
        ("3/days", RateLimit(3, "day")),
        ("off", None),
    ],
)
def test_rate_limit_values(raw: str, expected: RateLimit | None) -> None:
    assert Config.from_env({"RATE_LIMIT": raw}, env_file=None).rate_limit == expected


_COUNT_PER_UNIT = (
    "must look like COUNT/UNIT with UNIT one of second, minute, hour, day (e.g. 20/minute), or off"
)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RATE_LIMIT", "20 per minute", f"RATE_LIMIT {_COUNT_PER_UNIT}; got '20 per minute'."),
        ("RATE_LIMIT", "0/minute", f"RATE_LIMIT {_COUNT_PER_UNIT}; got '0/minute'."),
        ("RATE_LIMIT", "5/week", f"RATE_LIMIT {_COUNT_PER_UNIT}; got '5/week'."),
        ("MAX_MESSAGE_CHARS", "lots", "MAX_MESSAGE_CHARS must be a whole number, got 'lots'."),
        ("MAX_CONCURRENT_STREAMS", "0", "MAX_CONCURRENT_STREAMS must be at least 1, got 0."),
        ("PORT", "70000", "PORT must be between 1 and 65535, got 70000."),
        (
            "TRUSTED_PROXIES",
            "10.0.0.0/33",
            "TRUSTED_PROXIES takes comma-separated IP addresses or CIDR ranges; got '10.0.0.0/33'.",
        ),
        (
            "ALLOWED_ORIGINS",
            "club.example",
            "ALLOWED_ORIGINS takes comma-separated origins like https://example.org, or *; "
            "got 'club.example'.",
        ),
        ("RELAY_DEMO", "maybe", "RELAY_DEMO must be 1 or 0 (true/false), got 'maybe'."),
        ("TOKEN_BUDGET", "lots", f"TOKEN_BUDGET {_COUNT_PER_UNIT}; got 'lots'."),
        ("MAX_STREAMS_PER_CLIENT", "0", "MAX_STREAMS_PER_CLIENT must be at least 1, got 0."),
        (
            "CONVERSATION_TTL",
            "soon",
            "CONVERSATION_TTL must be a duration like 30d, 12h, 45m or a number of seconds; "
            "got 'soon'.",
        ),
        (
            "CONVERSATION_TTL",
            "0d",
            "CONVERSATION_TTL must be a duration like 30d, 12h, 45m or a number of seconds; "
            "got '0d'.",
        ),
        ("MAX_TURNS", "0", "MAX_TURNS must be at least 1, got 0."),
        (
            "PUBLIC_URL",
            "chat.example",
            "PUBLIC_URL must be an http(s) URL like https://chat.example.org; got 'chat.example'.",
        ),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env({name: value}, env_file=None)
    assert str(caught.value) == message


def test_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "# local settings\n"
        f"export RELAY_SECRET='{SECRET}'\n"
        'RATE_LIMIT="2/second"\n'
        "KB_DIR=elsewhere # a comment\n"
        "\n"
        "PORT=1234\n"
    )
    config = Config.from_env({"PORT": "4321"}, env_file=env)
    assert config.relay_secret == SECRET
    assert config.rate_limit == RateLimit(2, "second")
    assert config.kb_dir == Path("elsewhere")
    assert config.port == 4321  # the environment wins


def test_bad_env_file_line(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("OK=1\nthis is not a setting\n")
    with pytest.raises(ConfigError, match=r"\.env:2"):
        Config.from_env({}, env_file=env)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("30d", 2592000), ("12h", 43200), ("45m", 2700), ("90s", 90), ("3600", 3600)],
)
def test_conversation_ttl_values(raw: str, seconds: int) -> None:
    assert Config.from_env({"CONVERSATION_TTL": raw}).conversation_ttl == seconds


@pytest.mark.parametrize(
    "secret", ["change-me", "x" * 31, PLACEHOLDER_SECRET, f" {PLACEHOLDER_SECRET} "]
)
def test_weak_secrets_are_refused(secret: str) -> None:
    for name in ("RELAY_SECRET", "RELAY_SECRET_PREVIOUS"):
        with pytest.raises(ConfigError, match=f"^{name} is ") as caught:
            Config.from_env({name: secret})
        assert secret.strip() not in str(caught.value)  # the message never repeats a secret


def test_a_32_byte_random_secret_is_enough() -> None:
    value = "Zq3-v9Lx_0pR7mKt2WbYc8NdHs5EjUf1"
    assert Config.from_env({"RELAY_SECRET": value}).relay_secret == value
    cyrillic = "жЖюЮщЩъЪэЭяЯфФцЦчЧшШбБгГдДлЛпПиИ"  # 32 different letters: 64 bytes
    assert Config.from_env({"RELAY_SECRET": cyrillic}).relay_secret == cyrillic


def test_missing_env_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Cannot read the environment file .*nope\.env"):
        Config.from_env({}, env_file=tmp_path / "nope.env")
