"""Structured logging: one JSON object per line on the ``relay`` logger."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

logger = logging.getLogger("relay")


def event(level: int, what: str, /, **fields: Any) -> None:
    if not logger.isEnabledFor(level):
        return
    record = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
        "level": logging.getLevelName(level).lower(),
        "event": what,
        **fields,
    }
    logger.log(level, json.dumps(record, ensure_ascii=False, default=str))


def configure(level: int = logging.INFO) -> None:
    """Send the relay's lines to stderr, unformatted (each is already JSON)."""
    if any(getattr(h, "_relay", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._relay = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
