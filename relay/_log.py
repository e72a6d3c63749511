"""Structured logging: one JSON object per line on the ``relay`` logger."""

from __future__ import annotations

import logging
from typing import Any

from kbcore import jsonlog

logger = logging.getLogger("relay")


def event(level: int, what: str, /, **fields: Any) -> None:
    jsonlog.write(logger, level, what, fields)


def configure(level: int = logging.INFO) -> None:
    """Send the relay's lines to stderr, unformatted (each is already JSON)."""
    jsonlog.to_stderr(logger, level)
