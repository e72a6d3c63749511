"""The bot's JSON log lines, named as ``kbcore.logfields`` says (``kbsync report`` and
``kbsync gaps`` read them beside the relay's): one object per line on the
``kbsync.telegram.events`` logger, written to stderr once ``configure`` ran (``kbsync``
calls it for ``kbsync relay`` and ``kbsync telegram poll``). Never a contact detail."""

from __future__ import annotations

import logging
from typing import Any

from kbcore import jsonlog
from kbcore import logfields as f

logger = logging.getLogger("kbsync.telegram.events")


def event(what: str, /, **fields: Any) -> None:
    """One ``info`` line: ``what`` and ``fields`` (``kbcore.logfields`` names)."""
    jsonlog.write(logger, logging.INFO, what, {f.CHANNEL: "telegram", **fields})


def configure(level: int = logging.INFO) -> None:
    """Write the lines to stderr, as they are (each is JSON already)."""
    jsonlog.to_stderr(logger, level)
