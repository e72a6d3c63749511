"""``kbsync relay``: run the relay with uvicorn, or print the widget's embed line."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path

import click
import uvicorn
from litestar import Litestar
from uvicorn.supervisors import Multiprocess

from kbcore.defaults import LOOPBACK, RELAY_PORT
from kbcore.kbdir import find_kb
from kbcore.openai_client import MISSING_KEY
from kbcore.output import exit_with, info, result
from relay import _assets, _log
from relay._config import Config, read_env_file
from relay._config import public_url as parse_public_url
from relay._errors import ConfigError
from relay._runtime import warn_missing_secret
from relay._telegram_webhook import TelegramChannel
from relay.app import create_app

# What uvicorn imports in each worker; ``kbsync relay`` points it at ``kbsync._relay:app``,
# which plugs the Telegram bot in (the relay never imports the bot itself).
APP_FACTORY = "relay.server:make_app"


def make_app(telegram: TelegramChannel | None = None) -> Litestar:
    """The app in each uvicorn worker, logging JSON lines to stderr."""
    _log.configure()
    return create_app(telegram=telegram)


def load_env_file(path: Path) -> None:
    """Put the operator's file into this process's environment, under what is already
    set (an empty variable counts as unset, as in ``Config``), so that every uvicorn
    worker reads the same configuration."""
    for name, value in read_env_file(path).items():
        if not os.environ.get(name, "").strip():
            os.environ[name] = value


def _print_embed(public_url: str | None = None) -> int:
    """Print the ``<script>`` line that embeds this relay's widget, pinned by its hash."""
    if public_url is not None:
        url = parse_public_url("--public-url", public_url)
    elif os.environ.get("PUBLIC_URL", "").strip():
        url = parse_public_url("PUBLIC_URL", os.environ["PUBLIC_URL"])
    else:
        url = _assets.DEFAULT_PUBLIC_URL
    asset = _assets.widget()
    if asset is None:
        raise ConfigError(f"{_assets.WIDGET_DIR / 'widget.js'} is missing; reinstall kbsync.")
    result(_assets.embed_line(asset, url))
    return 0


def serve(
    host: str | None = None, port: int | None = None, workers: int = 1, kb_dir: Path | None = None
) -> int:
    """Serve until interrupted; ``host``/``port`` default to ``HOST``/``PORT`` (else
    ``Config``'s defaults). Configuration errors (no ``OPENAI_API_KEY``, a weak
    ``RELAY_SECRET``, a port in use) raise ``ConfigError`` before anything starts."""
    if kb_dir is None and not os.environ.get("KB_DIR", "").strip():
        kb_dir = find_kb()  # the nearest kb/ here or above, as kbsync finds it
    if kb_dir is not None:
        os.environ["KB_DIR"] = str(kb_dir)  # read by every worker's Config
    config = Config.from_env()  # fail fast, naming the variable
    if not config.openai_api_key:
        raise ConfigError(MISSING_KEY)
    host, port = host or config.host, port or config.port
    _check_port(host, port)
    _log.configure()
    if not config.relay_secret:
        # One random secret for all the workers of this run, so that a token issued by
        # one worker verifies in the others.
        warn_missing_secret()
        os.environ["RELAY_SECRET"] = secrets.token_urlsafe(32)
    _log.event(
        logging.INFO,
        "relay_starting",
        host=host,
        port=port,
        workers=workers,
        kb_dir=str(config.kb_dir),
        rate_limit=str(config.rate_limit) if config.rate_limit else "off",
        shared_limits=bool(config.redis_url),
        allowed_origins=list(config.allowed_origins) or "same origin",
    )
    served = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the relay logs one JSON line per request itself
        proxy_headers=False,  # X-Forwarded-For is honoured only from TRUSTED_PROXIES
        server_header=False,
        timeout_graceful_shutdown=5,
        log_level="warning",
    )
    # Bound here (as uvicorn.run does for several workers), so that the line below is
    # true when it is printed and a Ctrl-C at any moment after it ends the same way.
    sock = served.bind_socket()
    try:
        info(f"Relay listening on {_address(host, port)}/ (Ctrl-C stops).")
        if workers > 1:
            Multiprocess(served, sockets=[sock]).run()
        else:
            uvicorn.Server(served).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C before uvicorn took the signals: the same normal end as after it
    finally:
        sock.close()
    return 0


def _address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _check_port(host: str, port: int) -> None:
    """One line instead of uvicorn's error after the start-up lines, when ``port`` is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port} ({exc.strerror}): stop what uses the port, "
                "or pass --port N (or set PORT)."
            ) from None


@click.command(name="relay", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The knowledge base folder.  [default: $KB_DIR, else the nearest kb/ here or above]",
)
@click.option("--host", default=None, help=f"Interface to bind.  [default: $HOST, else {LOOPBACK}]")
@click.option(
    "--port",
    default=None,
    type=click.IntRange(1, 65535),
    help=f"Port.  [default: $PORT, else {RELAY_PORT}]",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read KEY=VALUE settings from this file (the environment wins). No file is read "
    "unless named here.",
)
@click.option(
    "--print-embed",
    is_flag=True,
    help="Print the <script> line that embeds the widget (pinned by its integrity hash), "
    "then exit.",
)
@click.option(
    "--public-url",
    default=None,
    help="The relay's address as visitors reach it, for --print-embed.  "
    f"[default: $PUBLIC_URL, else {_assets.DEFAULT_PUBLIC_URL}]",
)
def main(
    kb_dir: Path | None,
    host: str | None,
    port: int | None,
    workers: int,
    env_file: Path | None,
    print_embed: bool,
    public_url: str | None,
) -> None:
    """Run the chat relay (uvicorn) at http://HOST:PORT."""

    def run() -> int:
        if env_file is not None:
            load_env_file(env_file)
        if print_embed:
            return _print_embed(public_url)
        return serve(host=host, port=port, workers=workers, kb_dir=kb_dir)

    exit_with(run)
