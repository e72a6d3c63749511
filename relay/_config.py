"""The relay's configuration: read once, typed, from the environment and ``.env``.

Variables already in the environment win over ``.env``. A bad value raises
``ConfigError`` naming the variable, the value and what would be accepted.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from relay._errors import ConfigError

Unit = Literal["second", "minute", "hour", "day"]
UNITS: tuple[Unit, ...] = ("second", "minute", "hour", "day")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RateLimit:
    count: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.count}/{self.unit}"


@dataclass(frozen=True)
class Config:
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    kb_dir: Path = Path("kb")
    vector_store_id: str | None = None
    relay_secret: str | None = field(default=None, repr=False)
    allowed_origins: tuple[str, ...] = ()  # empty: same origin only; ("*",): any
    rate_limit: RateLimit | None = RateLimit(20, "minute")  # None: off
    max_message_chars: int = 2000
    max_concurrent_streams: int = 100
    trusted_proxies: tuple[Network, ...] = ()
    redis_url: str | None = None
    demo: bool = False
    log_questions: bool = False  # LOG_QUESTIONS=1: masked questions in the access log
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 16 * 1024
    keepalive_seconds: float = 15.0
    upstream_timeout: float = 60.0

    @property
    def any_origin(self) -> bool:
        return "*" in self.allowed_origins

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Config:
        """Read every variable once; ``environ`` defaults to ``os.environ``."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update(read_env_file(env_file))
        values.update(os.environ if environ is None else environ)
        env = _Env(values)
        return cls(
            openai_api_key=env.text("OPENAI_API_KEY"),
            openai_base_url=env.text("OPENAI_BASE_URL"),
            kb_dir=Path(env.text("KB_DIR") or "kb"),
            vector_store_id=env.text("VECTOR_STORE_ID"),
            relay_secret=env.text("RELAY_SECRET"),
            allowed_origins=env.origins("ALLOWED_ORIGINS"),
            rate_limit=env.rate_limit("RATE_LIMIT", RateLimit(20, "minute")),
            max_message_chars=env.integer("MAX_MESSAGE_CHARS", 2000, minimum=1),
            max_concurrent_streams=env.integer("MAX_CONCURRENT_STREAMS", 100, minimum=1),
            trusted_proxies=env.networks("TRUSTED_PROXIES"),
            redis_url=env.text("REDIS_URL"),
            demo=env.flag("RELAY_DEMO"),
            log_questions=env.flag("LOG_QUESTIONS"),
            host=env.text("HOST") or "127.0.0.1",
            port=env.integer("PORT", 8000, minimum=1, maximum=65535),
            max_body_bytes=env.integer("MAX_BODY_BYTES", 16 * 1024, minimum=256),
            keepalive_seconds=env.number("RELAY_KEEPALIVE_SECONDS", 15.0),
            upstream_timeout=env.number("UPSTREAM_TIMEOUT", 60.0),
        )


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, an optional ``export``, optional quotes."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
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

    def rate_limit(self, name: str, default: RateLimit) -> RateLimit | None:
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
