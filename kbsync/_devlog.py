"""What ``kbsync dev`` shows of the relay's log: one short line per request instead of
its JSON line (which goes, whole, to ``.kbsync/relay.log`` for ``kbsync gaps`` and
``kbsync report``). Health checks are not shown; warnings and errors are.
"""

from __future__ import annotations

import json
from typing import Any

from kbcore import logfields
from kbcore.output import plural

QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
LOUD_LEVELS = frozenset({"warning", "error", "critical"})


def human(line: str) -> str | None:
    """The terminal's line for one line of the relay's output (``None``: not shown)."""
    if not line.startswith("{"):
        return line  # not a log line (a traceback, uvicorn, "Relay listening on …")
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    if record.get(logfields.EVENT) == logfields.REQUEST:
        return _request(record)
    if record.get("level") in LOUD_LEVELS:
        return f"{record['level']}: {record.get('message') or record.get(logfields.EVENT)}"
    return None


def _request(record: dict[str, Any]) -> str | None:
    route = str(record.get("route"))
    if route in QUIET_ROUTES:
        return None
    text = f"{record.get('method')} {route} {record.get('status')} in {_took(record)}"
    stream = record.get(logfields.STREAM)
    if stream == "done":
        cited = record.get(logfields.CITED)
        count = len(cited) if isinstance(cited, list) else int(cited or 0)
        text += f": answered, {plural(count, 'source')} cited"
    elif stream is not None:
        error = record.get(logfields.UPSTREAM_ERROR)
        text += f": answer {stream}" + (f" ({error})" if error else "")
    return text


def _took(record: dict[str, Any]) -> str:
    latency = record.get("latency_ms")
    if not isinstance(latency, int | float):
        return "?"
    return f"{latency:.0f} ms" if latency < 1000 else f"{latency / 1000:.1f} s"
