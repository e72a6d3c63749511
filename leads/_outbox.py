"""The outbox: each lead and one row per sink, written in one transaction, on disk before
the visitor is told "received". Delivery claims due rows under a lease, so several relay
workers (or ``kbsync leads deliver`` beside them) never send the same attempt twice at
once; every attempt is recorded with its outcome.

Tables (local SQLite via ``state.sqlite.connect``: WAL, ``synchronous=FULL``):

- ``leads``: the lead itself (contact fields as JSON);
- ``lead_sinks``: per (lead, sink) ``status`` (pending | delivered | dead), attempts,
  ``next_at``, ``deadline``, the lease (``lease_until``, ``lease_owner``), the last reason;
- ``lead_attempts``: per attempt when, outcome (sending | delivered | retry | dead), detail.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from leads._backoff import GIVE_UP, retry_delay
from leads._errors import OutboxError
from leads._lead import Lead
from leads._rows import (
    DEAD,
    DELIVERED,
    LEAD_COLUMNS,
    PENDING,
    STATUSES,
    Claim,
    Finished,
    LeadRecord,
    SinkState,
    lead_of,
    lead_row,
    select_leads,
)
from state.sqlite import connect, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS leads (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, kb_name TEXT NOT NULL,
    channel TEXT NOT NULL, variant TEXT NOT NULL, fields TEXT NOT NULL,
    consent_sha256 TEXT NOT NULL, consent_at REAL NOT NULL,
    page TEXT, language TEXT, conversation_id TEXT
);
CREATE TABLE IF NOT EXISTS lead_sinks (
    lead TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE, sink TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, deadline REAL NOT NULL,
    lease_until REAL NOT NULL DEFAULT 0, lease_owner TEXT,
    reason TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (lead, sink)
);
CREATE INDEX IF NOT EXISTS lead_sinks_due ON lead_sinks (status, next_at);
CREATE TABLE IF NOT EXISTS lead_attempts (
    lead TEXT NOT NULL, sink TEXT NOT NULL, n INTEGER NOT NULL, at REAL NOT NULL,
    outcome TEXT NOT NULL, detail TEXT, ms REAL,
    PRIMARY KEY (lead, sink, n)
);
"""


class Outbox:
    """The outbox in the SQLite file at ``path`` (created when missing).

    Thread-safe; every method is synchronous (the relay calls them in a worker thread)."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._conn = connect(self.path)
        try:
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._conn.close()
            raise OutboxError(
                f"The lead outbox {self.path} cannot be set up ({exc}); check STATE_DB."
            ) from exc
        self._lock = threading.Lock()
        self.clock = clock
        # host:pid:nonce, so a worker on this host can tell a dead worker's leases
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with transaction(self._conn) as conn:
                    yield conn
            except sqlite3.Error as exc:  # a full disk, a locked or damaged file
                raise OutboxError(
                    f"The lead outbox {self.path} cannot be written ({exc}); check its disk "
                    "and STATE_DB."
                ) from exc

    def add(self, lead: Lead, sinks: Sequence[str]) -> None:
        """Keep ``lead`` with a pending row per sink; on disk when this returns."""
        self.add_many([(lead, sinks)])

    def add_many(self, items: Sequence[tuple[Lead, Sequence[str]]]) -> list[None]:
        """``add`` for several leads in one commit (one fsync for the group)."""
        now = self.clock()
        with self._write() as conn:
            conn.executemany(
                f"INSERT INTO leads ({LEAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [lead_row(lead) for lead, _ in items],
            )
            conn.executemany(
                "INSERT INTO lead_sinks (lead, sink, status, next_at, deadline, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (lead.id, sink, PENDING, now, now + GIVE_UP, now)
                    for lead, sinks in items
                    for sink in sinks
                ],
            )
        return [None] * len(items)

    def claim(self, *, limit: int = 16, lease: float = 60.0) -> list[Claim]:
        """Take up to ``limit`` due rows for ``lease`` seconds (atomically: a row whose lease
        another worker holds is not due). Each claim records its attempt as ``sending``."""
        now = self.clock()
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE lead_sinks SET lease_until = ?, lease_owner = ?, "
                "attempts = attempts + 1, updated_at = ? "
                "WHERE rowid IN (SELECT rowid FROM lead_sinks WHERE status = ? "
                "AND next_at <= ? AND lease_until < ? ORDER BY next_at LIMIT ?) "
                "RETURNING lead, sink, attempts",
                (now + lease, self.owner, now, PENDING, now, now, limit),
            ).fetchall()
            conn.executemany(
                "INSERT OR REPLACE INTO lead_attempts (lead, sink, n, at, outcome) "
                "VALUES (?, ?, ?, ?, 'sending')",
                [(lead, sink, n, now) for lead, sink, n in rows],
            )
            leads = {row[0]: lead_of(row) for row in select_leads(conn, {r[0] for r in rows})}
        return [Claim(leads[lead], sink, n, self.owner) for lead, sink, n in rows]

    def finish(
        self,
        claim: Claim,
        outcome: str,
        detail: str,
        *,
        after: float | None = None,
        ms: float | None = None,
    ) -> str:
        """Record ``claim``'s attempt: ``delivered``, ``retry`` (again after the backoff,
        unless past the deadline: then ``dead``) or ``dead``. Returns the row's new status."""
        return self.finish_many([Finished(claim, outcome, detail, after, ms)])[0]

    def finish_many(self, results: Sequence[Finished]) -> list[str]:
        """``finish`` for several attempts in one commit; their new statuses, in order."""
        now = self.clock()
        with self._write() as conn:
            return [self._finish(conn, now, *result) for result in results]

    def _finish(
        self,
        conn: sqlite3.Connection,
        now: float,
        claim: Claim,
        outcome: str,
        detail: str,
        after: float | None,
        ms: float | None,
    ) -> str:
        row = conn.execute(
            "SELECT deadline, lease_owner FROM lead_sinks WHERE lead = ? AND sink = ?",
            (claim.lead.id, claim.sink),
        ).fetchone()
        if row is None:
            return DELIVERED  # purged meanwhile
        deadline, owner = row
        status, next_at = PENDING, now
        if outcome == DELIVERED:
            status = DELIVERED
        elif outcome == DEAD:
            status = DEAD
        else:
            next_at = now + retry_delay(claim.attempt, after=after)
            if next_at > deadline:
                status, detail = DEAD, f"gave up after {claim.attempt} attempts: {detail}"
        recorded = outcome if status != DEAD else DEAD
        conn.execute(
            "UPDATE lead_attempts SET outcome = ?, detail = ?, ms = ? "
            "WHERE lead = ? AND sink = ? AND n = ?",
            (recorded, detail, ms, claim.lead.id, claim.sink, claim.attempt),
        )
        if owner != claim.owner:
            return PENDING  # the lease passed to another worker: its outcome counts
        conn.execute(
            "UPDATE lead_sinks SET status = ?, next_at = ?, reason = ?, lease_until = 0, "
            "lease_owner = NULL, updated_at = ? WHERE lead = ? AND sink = ?",
            (status, next_at, detail, now, claim.lead.id, claim.sink),
        )
        return status

    def release_orphans(self) -> int:
        """End the leases held by workers on this host whose process is gone (killed
        mid-attempt), so their rows are tried again now rather than when the lease ends."""
        host = socket.gethostname()
        with self._write() as conn:
            owners = [
                str(row[0])
                for row in conn.execute(
                    "SELECT DISTINCT lease_owner FROM lead_sinks WHERE status = ? "
                    "AND lease_owner IS NOT NULL",
                    (PENDING,),
                )
            ]
            dead = [o for o in owners if _on_host(o, host) and not _alive(o)]
            conn.executemany(
                "UPDATE lead_sinks SET lease_until = 0, lease_owner = NULL WHERE lease_owner = ?",
                [(owner,) for owner in dead],
            )
        return len(dead)

    def next_due(self) -> float | None:
        """When the earliest pending row falls due (``None``: nothing pending)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(MAX(next_at, lease_until)) FROM lead_sinks WHERE status = ?",
                (PENDING,),
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def retry(self, lead_id: str) -> int:
        """Queue ``lead_id``'s dead sinks again (a fresh day of retries); how many."""
        now = self.clock()
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE lead_sinks SET status = ?, next_at = ?, deadline = ?, updated_at = ? "
                "WHERE lead = ? AND status = ?",
                (PENDING, now, now + GIVE_UP, now, lead_id, DEAD),
            )
            return cursor.rowcount

    def purge(self, retention_days: float) -> int:
        """Forget leads delivered everywhere more than ``retention_days`` ago; how many."""
        cutoff = self.clock() - retention_days * 86400
        with self._write() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT lead FROM lead_sinks GROUP BY lead "
                    "HAVING SUM(status != ?) = 0 AND MAX(updated_at) < ?",
                    (DELIVERED, cutoff),
                )
            ]
            conn.executemany("DELETE FROM lead_attempts WHERE lead = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM lead_sinks WHERE lead = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM leads WHERE id = ?", [(i,) for i in ids])
        return len(ids)

    def records(
        self, *, since: float | None = None, lead_id: str | None = None
    ) -> list[LeadRecord]:
        """Leads (newest first) created at or after ``since``, with every sink's state."""
        where: list[str] = ["1 = 1"]
        args: list[object] = []
        if since is not None:
            where.append("created_at >= ?")
            args.append(since)
        if lead_id is not None:
            where.append("id = ?")
            args.append(lead_id)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {LEAD_COLUMNS} FROM leads WHERE {' AND '.join(where)} "
                "ORDER BY created_at DESC, id DESC",
                args,
            ).fetchall()
            wanted = {str(row[0]) for row in rows}
            sinks: dict[str, list[SinkState]] = {}
            for lead, *state in self._conn.execute(
                "SELECT lead, sink, status, attempts, next_at, reason, updated_at "
                "FROM lead_sinks ORDER BY lead, rowid"
            ):
                if lead in wanted:
                    sinks.setdefault(lead, []).append(SinkState(*state))
        return [LeadRecord(lead_of(row), tuple(sinks.get(row[0], ()))) for row in rows]

    def attempts(self, lead_id: str) -> list[tuple[str, int, float, str, str | None]]:
        """``(sink, n, at, outcome, detail)`` of every attempt for ``lead_id``."""
        with self._lock:
            return list(
                self._conn.execute(
                    "SELECT sink, n, at, outcome, detail FROM lead_attempts WHERE lead = ? "
                    "ORDER BY sink, n",
                    (lead_id,),
                )
            )

    def counts(self) -> dict[str, int]:
        """Sink rows by status (``relay_leads_outbox`` in /metrics)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT status, COUNT(*) FROM lead_sinks GROUP BY status"
            ).fetchall()
        return {status: 0 for status in STATUSES} | {str(s): int(n) for s, n in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _on_host(owner: str, host: str) -> bool:
    return owner.rsplit(":", 2)[0] == host


def _alive(owner: str) -> bool:
    try:
        pid = int(owner.rsplit(":", 2)[1])
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (ValueError, IndexError, PermissionError):
        return True  # not ours to judge: let its lease run out
    return True
