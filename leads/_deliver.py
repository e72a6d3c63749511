"""Delivery: claim due rows, hand each to its sink, record the outcome. At least once.

Runs inside the relay (a background task from its lifespan) and as ``kbsync leads
deliver`` (a cron or systemd timer). Several of them on one outbox share the work: a
claim is a lease, so an attempt is never made twice at once; a worker killed mid-attempt
leaves its lease to expire, and the next attempt (numbered > 1) looks before it adds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from leads._errors import SinkRefused, SinkRetry
from leads._group import GroupCommit
from leads._http import Transport
from leads._outbox import Outbox
from leads._rows import DEAD, DELIVERED, Claim, Finished
from leads._sinks import Sink

LEASE = 60.0  # longer than an attempt can take (a sink's timeout, several requests over)
CONCURRENCY = 8  # attempts in flight at once (intake first: a lead waits, a visitor should not)
IDLE = 5.0  # the longest sleep: new leads from another process are picked up within it
PURGE_EVERY = 3600.0


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to (for the log and the metrics; never the contact)."""

    lead: str
    sink: str
    attempt: int
    status: str  # delivered | pending (will retry) | dead
    detail: str


Report = Callable[[Outcome], None]


class Deliverer:
    def __init__(
        self,
        outbox: Outbox,
        sinks: Mapping[str, Sink],
        transport: Transport,
        *,
        missing: Mapping[str, str] | None = None,
        report: Report | None = None,
        retention_days: float = 30.0,
    ) -> None:
        self.outbox = outbox
        self.sinks = dict(sinks)
        self.missing = dict(missing or {})
        self.transport = transport
        self.report = report or (lambda outcome: None)
        self.retention_days = retention_days
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (sink, status)
        self._wake = asyncio.Event()
        self._finish = GroupCommit(outbox.finish_many)

    def wake(self) -> None:
        """A lead was just added: look now rather than after the idle sleep."""
        self._wake.set()

    async def run_once(self, *, limit: int = CONCURRENCY) -> int:
        """Attempt every row due now, ``limit`` at a time (a slow sink holds one slot, not
        a batch); how many were attempted."""
        total = 0
        running: set[asyncio.Task[None]] = set()
        await asyncio.to_thread(self.outbox.release_orphans)
        try:
            while True:
                free = limit - len(running)
                claims = []
                # Claim in groups (each claim is a commit), or at once when idle.
                if free >= max(1, limit // 4) or not running:
                    claims = await asyncio.to_thread(self.outbox.claim, limit=free, lease=LEASE)
                running |= {asyncio.create_task(self._attempt(claim)) for claim in claims}
                total += len(claims)
                if not running:
                    return total
                _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in running:
                task.cancel()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, sleeping until the next row falls due."""
        purged_at = 0.0
        while not stop.is_set():
            await self.run_once()
            now = self.outbox.clock()
            if now - purged_at >= PURGE_EVERY:
                await asyncio.to_thread(self.outbox.purge, self.retention_days)
                purged_at = now
            due = await asyncio.to_thread(self.outbox.next_due)
            wait = IDLE if due is None else min(IDLE, max(0.0, due - self.outbox.clock()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, self._wake), max(wait, 0.05))

    async def _attempt(self, claim: Claim) -> None:
        started = time.perf_counter()
        after: float | None = None
        sink = self.sinks.get(claim.sink)
        if sink is None:
            outcome, detail = "retry", self.missing.get(claim.sink, f"no sink {claim.sink!r}")
        else:
            try:
                detail = await sink.deliver(claim.lead, claim.attempt, self.transport)
                outcome = DELIVERED
            except SinkRetry as exc:
                outcome, detail, after = "retry", str(exc), exc.after
            except SinkRefused as exc:
                outcome, detail = DEAD, str(exc)
            except Exception as exc:  # a sink bug must not stop the others: retry, loudly
                outcome, detail = "retry", f"{type(exc).__name__} in the {claim.sink} sink"
        ms = round((time.perf_counter() - started) * 1000, 1)
        status = await self._finish.submit(Finished(claim, outcome, detail, after, ms))
        self.outcomes[(claim.sink, status)] += 1
        self.report(Outcome(claim.lead.id, claim.sink, claim.attempt, status, detail))


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
