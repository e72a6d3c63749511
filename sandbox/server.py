"""``kbsync sandbox``: serve the app with uvicorn and say where."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import uvicorn

from sandbox import DEFAULT_PORT, _analyzers
from sandbox._middleware import ResetConnection
from sandbox._state import Store
from sandbox.app import create_app


class _QuietResets(logging.Filter):
    """A ``reset`` fault raises on purpose to cut the connection; don't log a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        while error is not None:
            if isinstance(error, ResetConnection):
                return False
            error = error.__cause__ or error.__context__
        return True


def serve(
    *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, data_dir: Path | None = None
) -> int:
    """Run until interrupted; returns the exit code."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(Store(data_dir=data_dir))
    shown = f"[{host}]" if ":" in host else host
    where = f" (state in {data_dir})" if data_dir is not None else ""
    click.echo(f"sandbox: OpenAI-compatible API at http://{shown}:{port}/v1{where}", err=True)
    click.echo(
        f"sandbox: Telegram Bot API fake at http://{shown}:{port}/telegram "
        f"(chat with the bot at http://{shown}:{port}/_sandbox/telegram/)",
        err=True,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        # a "timeout" fault or an open stream must not hold up a restart
        timeout_graceful_shutdown=3,
    )
    logging.getLogger("uvicorn.error").addFilter(_QuietResets())
    uvicorn.Server(config).run()
    return 0


@click.command(name="sandbox", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option(
    "--analyzer",
    type=click.Choice(_analyzers.NAMES),
    envvar=_analyzers.ENV,
    default=_analyzers.DEFAULT,
    show_default=True,
    help="How search stems words (light: the first, simpler analyzer, for comparison).",
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep the sandbox's state in DIR across restarts.",
)
def main(host: str, port: int, analyzer: str, data_dir: Path | None) -> None:
    """Run the local OpenAI-compatible server at http://HOST:PORT/v1."""
    _analyzers.use(analyzer)
    try:
        code = serve(host=host, port=port, data_dir=data_dir)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
