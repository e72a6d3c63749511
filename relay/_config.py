"""The relay's configuration: read once, typed, from the environment.

The relay never reads a ``.env`` of its own accord: in the deployed layout its working
directory is the git checkout, and a committed ``.env`` could redirect the API key or
turn the limits off. ``kbsync dev`` reads ``.env`` and passes it on in the environment;
``kbsync relay --env-file PATH`` reads the file an operator names (the environment wins).
A bad value raises ``ConfigError`` naming the variable, the value and what would be
accepted.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from kbcore.defaults import LOOPBACK, RELAY_PORT, RELAY_URL
from kbcore.openai_client import ClientSettings
from relay._errors import ConfigError

Unit = Literal["second", "minute", "hour", "day"]
UNITS: tuple[Unit, ...] = ("second", "minute", "hour", "day")
SECONDS: dict[Unit, int] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The value deploy/kbsync.env.example ships with: anyone can read it, so it signs nothing.
PLACEHOLDER_SECRET = "replace-me-with-the-output-of-the-command-above"
MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 128
DAY = 86400


@dataclass(frozen=True)
class RateLimit:
    """``COUNT/UNIT``: at most ``count`` per clock-aligned ``unit`` (messages, or tokens)."""

    count: int
    unit: Unit

    @property
    def seconds(self) -> int:
        return SECONDS[self.unit]

    def __str__(self) -> str:
        return f"{self.count}/{self.unit}"


def secret_problem(name: str, value: str) -> str | None:
    """Why ``value`` may not sign conversation tokens, as a sentence; ``None`` if it may."""
    how = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
    if value.strip() == PLACEHOLDER_SECRET:
        return f"{name} is the example file's placeholder; set it to the output of {how}."
    if len(value.encode()) < MIN_SECRET_BYTES:
        return (
            f"{name} is shorter than {MIN_SECRET_BYTES} bytes, so tokens could be forged; "
            f"set it to the output of {how}."
        )
    # Long is not enough ("a" * 32): a repeated piece, or too few different characters
    # for MIN_SECRET_BITS by the characters' own frequencies, can be guessed.
    if _period(value) <= len(value) // 2 or _estimated_bits(value) < MIN_SECRET_BITS:
        return (
            f"{name} is a guessable string (a repeated pattern, or too few different "
            f"characters for {MIN_SECRET_BITS} random bits), so tokens could be forged; "
            f"set it to the output of {how}."
        )
    return None


def _estimated_bits(value: str) -> float:
    """Length times the Shannon entropy of the value's own character frequencies."""
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())


def _period(value: str) -> int:
    """The length of the shortest piece that ``value`` repeats (its own length if none)."""
    border = [0] * len(value)  # Knuth-Morris-Pratt prefix function
    for i in range(1, len(value)):
        k = border[i - 1]
        while k and value[i] != value[k]:
            k = border[k - 1]
        border[i] = k + (value[i] == value[k])
    return len(value) - (border[-1] if value else 0)


@dataclass(frozen=True)
class Config:
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_org_id: str | None = None
    openai_project_id: str | None = None
    kb_dir: Path = Path("kb")
    vector_store_id: str | None = None
    relay_secret: str | None = field(default=None, repr=False)
    relay_secret_previous: str | None = field(default=None, repr=False)  # verifies only
    allowed_origins: tuple[str, ...] = ()  # empty: none but the demo page; ("*",): any
    rate_limit: RateLimit | None = RateLimit(20, "minute")  # None: off
    token_budget: RateLimit | None = None  # input + output tokens per client; None: off
    max_message_chars: int = 2000
    max_concurrent_streams: int = 100
    max_streams_per_client: int = 2
    conversation_ttl: int = 30 * DAY  # seconds a token stays valid after it was issued
    max_turns: int = 50
    public_url: str = RELAY_URL  # where visitors reach the relay (for --print-embed)
    trusted_proxies: tuple[Network, ...] = ()
    redis_url: str | None = None
    demo: bool = False
    log_questions: bool = False  # LOG_QUESTIONS=1: masked questions in the access log
    host: str = LOOPBACK
    port: int = RELAY_PORT
    max_body_bytes: int = 16 * 1024
    keepalive_seconds: float = 15.0
    upstream_timeout: float = 60.0

    @property
    def any_origin(self) -> bool:
        return "*" in self.allowed_origins

    @property
    def client_settings(self) -> ClientSettings:
        """The OpenAI client configuration, the same shape every seam uses."""
        return ClientSettings(
            api_key=self.openai_api_key,
            base_url=self.openai_base_url,
            organization=self.openai_org_id,
            project=self.openai_project_id,
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Config:
        """Read every variable once; ``environ`` defaults to ``os.environ``; ``env_file``
        (only when given) fills in what the environment does not set."""
        values: dict[str, str] = {}
        if env_file is not None:
            values.update(read_env_file(env_file))
        values.update(os.environ if environ is None else environ)
        env = _Env(values)
        d = cls()  # the defaults, written once on the fields above
        return cls(
            openai_api_key=env.text("OPENAI_API_KEY"),
            openai_base_url=env.text("OPENAI_BASE_URL"),
            openai_org_id=env.text("OPENAI_ORG_ID"),
            openai_project_id=env.text("OPENAI_PROJECT_ID"),
            kb_dir=Path(env.text("KB_DIR") or d.kb_dir),
            vector_store_id=env.text("VECTOR_STORE_ID"),
            relay_secret=env.secret("RELAY_SECRET"),
            relay_secret_previous=env.secret("RELAY_SECRET_PREVIOUS"),
            allowed_origins=env.origins("ALLOWED_ORIGINS"),
            rate_limit=env.rate_limit("RATE_LIMIT", d.rate_limit),
            token_budget=env.rate_limit("TOKEN_BUDGET", d.token_budget),
            max_message_chars=env.integer("MAX_MESSAGE_CHARS", d.max_message_chars, minimum=1),
            max_concurrent_streams=env.integer(
                "MAX_CONCURRENT_STREAMS", d.max_concurrent_streams, minimum=1
            ),
            max_streams_per_client=env.integer(
                "MAX_STREAMS_PER_CLIENT", d.max_streams_per_client, minimum=1
            ),
            conversation_ttl=env.duration("CONVERSATION_TTL", d.conversation_ttl),
            max_turns=env.integer("MAX_TURNS", d.max_turns, minimum=1),
            public_url=env.url("PUBLIC_URL") or d.public_url,
            trusted_proxies=env.networks("TRUSTED_PROXIES"),
            redis_url=env.text("REDIS_URL"),
            demo=env.flag("RELAY_DEMO"),
            log_questions=env.flag("LOG_QUESTIONS"),
            host=env.text("HOST") or d.host,
            port=env.integer("PORT", d.port, minimum=1, maximum=65535),
            max_body_bytes=env.integer("MAX_BODY_BYTES", d.max_body_bytes, minimum=256),
            keepalive_seconds=env.number("RELAY_KEEPALIVE_SECONDS", d.keepalive_seconds),
            upstream_timeout=env.number("UPSTREAM_TIMEOUT", d.upstream_timeout),
        )


def public_url(name: str, raw: str) -> str:
    """``raw`` as a base URL without its trailing slash; ``name`` is what the error names."""
    raw = raw.strip()
    if not raw.startswith(("http://", "https://")) or not urlsplit(raw).netloc:
        raise ConfigError(
            f"{name} must be an http(s) URL like https://chat.example.org; got {raw!r}."
        )
    return raw.rstrip("/")


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, an optional ``export``, optional quotes."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"Cannot read the environment file {path}: {reason}.") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()!r}.")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


class _Env:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def text(self, name: str) -> str | None:
        value = self._values.get(name, "").strip()
        return value or None

    def flag(self, name: str) -> bool:
        value = (self.text(name) or "0").lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be 1 or 0 (true/false), got {value!r}.")

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}.") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
            raise ConfigError(f"{name} must be {bound}, got {value}.")
        return value

    def number(self, name: str, default: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of seconds, got {raw!r}.") from None
        if not value > 0:
            raise ConfigError(f"{name} must be more than 0 seconds, got {raw!r}.")
        return value

    def secret(self, name: str) -> str | None:
        value = self.text(name)
        if value is not None and (problem := secret_problem(name, value)) is not None:
            raise ConfigError(problem)
        return value

    def duration(self, name: str, default: int) -> int:
        """Whole seconds: ``30d``, ``12h``, ``45m``, ``90s`` or a bare number of seconds."""
        raw = self.text(name)
        if raw is None:
            return default
        scale = {"d": DAY, "h": 3600, "m": 60, "s": 1}.get(raw[-1].lower(), 0)
        digits = raw[:-1] if scale else raw
        if not digits.strip().isdigit() or int(digits) < 1:
            raise ConfigError(
                f"{name} must be a duration like 30d, 12h, 45m or a number of seconds; got {raw!r}."
            )
        return int(digits) * (scale or 1)

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not raw.startswith(("http://", "https://")) or urlsplit(raw).netloc == "":
            raise ConfigError(
                f"{name} must be an http(s) URL like https://chat.example.org; got {raw!r}."
            )
        return raw.rstrip("/")

    def rate_limit(self, name: str, default: RateLimit | None) -> RateLimit | None:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in {"off", "none", "0"}:
            return None
        count, sep, unit = raw.partition("/")
        unit = unit.strip().lower().removesuffix("s")
        if not sep or not count.strip().isdigit() or int(count) < 1 or unit not in UNITS:
            raise ConfigError(
                f"{name} must look like COUNT/UNIT with UNIT one of second, minute, hour, day "
                f"(e.g. 20/minute), or off; got {raw!r}."
            )
        return RateLimit(int(count), unit)

    def origins(self, name: str) -> tuple[str, ...]:
        raw = self.text(name)
        if raw is None:
            return ()
        origins: list[str] = []
        for part in raw.split(","):
            origin = part.strip().rstrip("/")
            if not origin:
                continue
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigError(
                    f"{name} takes comma-separated origins like https://example.org, or *; "
                    f"got {origin!r}."
                )
            origins.append(origin.lower())
        return tuple(origins)

    def networks(self, name: str) -> tuple[Network, ...]:
        raw = self.text(name)
        if raw is None:
            return ()
        networks: list[Network] = []
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ConfigError(
                    f"{name} takes comma-separated IP addresses or CIDR ranges; got {part!r}."
                ) from None
        return tuple(networks)
