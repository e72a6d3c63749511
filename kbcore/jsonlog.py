"""JSON log lines, one object per line, as every channel writes them (``kbsync gaps`` and
``kbsync report`` read them back by the names in ``kbcore.logfields``)."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from kbcore import logfields as f


def write(logger: logging.Logger, level: int, what: str, fields: dict[str, Any]) -> None:
    """One line on ``logger``: the time, the level, the event ``what``, then ``fields``."""
    if not logger.isEnabledFor(level):
        return
    record = {
        f.TS: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
        "level": logging.getLevelName(level).lower(),
        f.EVENT: what,
        **fields,
    }
    logger.log(level, json.dumps(record, ensure_ascii=False, default=str))


def to_stderr(logger: logging.Logger, level: int = logging.INFO) -> None:
    """Send ``logger``'s lines to stderr unformatted (each is JSON already); once."""
    if any(getattr(h, "_kbsync_json", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._kbsync_json = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
