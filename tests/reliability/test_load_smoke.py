"""A small version of ``bench/load_relay.py`` for CI: 20 chat users for 5 s, none dropped.

The full run (200 users for 60 s, figures in ``bench/RESULTS.md``) is a benchmark, not a
test; this one proves the driver and the relay's streaming under concurrency on every
push: a relay process on the session sandbox, every stream read to ``done``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

from testing.servers import ROOT
from tests.relay.conftest import RunRelay


def _load_bench() -> ModuleType:
    name = "bench_load_relay"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "load_relay.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_twenty_users_for_five_seconds_drop_nothing(run_relay: RunRelay, tmp_path: Path) -> None:
    load = _load_bench()
    # The twenty users all come from 127.0.0.1, which the relay sees as one client.
    with run_relay(
        RATE_LIMIT="off", MAX_CONCURRENT_STREAMS="250", MAX_STREAMS_PER_CLIENT="250"
    ) as relay:
        # The load runs in a thread of its own: a session-wide Playwright browser may already
        # run an event loop in this one, and asyncio.run() refuses to nest.
        with load.RssSampler(relay.proc.pid) as rss, ThreadPoolExecutor(1) as pool:
            result = pool.submit(
                asyncio.run, load.run_users(relay.url, users=20, seconds=5.0)
            ).result()
        log = relay.output()
    summary = (
        f"requests={result.requests} completed={result.completed} dropped={result.dropped} "
        f"reasons={dict(result.drop_reasons)} refused={dict(result.refused)}"
    )
    assert result.dropped == 0, summary
    assert not result.refused, summary
    assert result.completed == result.requests, summary
    assert result.completed >= 20, summary  # every user finished at least one answer
    assert len(result.ttfd) == result.completed
    assert result.percentile(0.99) < 30_000, summary
    assert rss.samples, "no RSS sample of the relay"
    assert '"stream": "done"' in log
    assert '"stream": "aborted"' not in log
    assert "Traceback" not in log
