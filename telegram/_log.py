"""The bot's JSON log lines, named as ``kbcore.logfields`` says (``kbsync report`` and
``kbsync gaps`` read them beside the relay's): one object per line on the
``kbsync.telegram.events`` logger, written to stderr once ``configure`` ran (``kbsync``
calls it for ``kbsync relay`` and ``kbsync telegram poll``). Never a contact detail."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from kbcore import logfields as f

logger = logging.getLogger("kbsync.telegram.events")


def event(what: str, /, **fields: Any) -> None:
    """One ``info`` line: ``what`` and ``fields`` (``kbcore.logfields`` names)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    record = {
        f.TS: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
        "level": "info",
        f.EVENT: what,
        f.CHANNEL: "telegram",
        **fields,
    }
    logger.info(json.dumps(record, ensure_ascii=False, default=str))


def configure(level: int = logging.INFO) -> None:
    """Write the lines to stderr, as they are (each is JSON already)."""
    if any(getattr(h, "_kbsync_telegram", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._kbsync_telegram = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
