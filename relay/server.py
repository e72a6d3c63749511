"""``kbsync relay``: run the relay with uvicorn."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import click
import uvicorn
from litestar import Litestar

from kbcore.output import exit_with
from relay import _log
from relay._config import Config
from relay._runtime import warn_missing_secret
from relay.app import create_app


def _factory() -> Litestar:
    """The app in each uvicorn worker, logging JSON lines to stderr."""
    _log.configure()
    return create_app()


def serve(
    host: str | None = None, port: int | None = None, workers: int = 1, kb_dir: Path | None = None
) -> int:
    """Serve until interrupted; ``host``/``port`` default to ``HOST``/``PORT`` (else
    127.0.0.1:8000). Configuration errors raise ``ConfigError`` before anything starts."""
    if kb_dir is not None:
        os.environ["KB_DIR"] = str(kb_dir)  # read by every worker's Config
    config = Config.from_env()  # fail fast, naming the variable
    _log.configure()
    if not config.relay_secret:
        # One random secret for all the workers of this run, so that a token issued by
        # one worker verifies in the others.
        warn_missing_secret()
        os.environ["RELAY_SECRET"] = secrets.token_urlsafe(32)
    _log.event(
        logging.INFO,
        "relay_starting",
        host=host or config.host,
        port=port or config.port,
        workers=workers,
        kb_dir=str(config.kb_dir),
        rate_limit=str(config.rate_limit) if config.rate_limit else "off",
        shared_limits=bool(config.redis_url),
        allowed_origins=list(config.allowed_origins) or "same origin",
    )
    uvicorn.run(
        "relay.server:_factory",
        factory=True,
        host=host or config.host,
        port=port or config.port,
        workers=workers,
        access_log=False,  # the relay logs one JSON line per request itself
        proxy_headers=False,  # X-Forwarded-For is honoured only from TRUSTED_PROXIES
        server_header=False,
        timeout_graceful_shutdown=5,
        log_level="warning",
    )
    return 0


@click.command(name="relay", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The knowledge base folder.  [default: $KB_DIR, else ./kb]",
)
@click.option("--host", default=None, help="Interface to bind.  [default: $HOST, else 127.0.0.1]")
@click.option("--port", default=None, type=int, help="Port.  [default: $PORT, else 8000]")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def main(kb_dir: Path | None, host: str | None, port: int | None, workers: int) -> None:
    """Run the chat relay (uvicorn) at http://HOST:PORT."""
    exit_with(lambda: serve(host=host, port=port, workers=workers, kb_dir=kb_dir))
