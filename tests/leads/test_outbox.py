"""The outbox: durable rows per sink, leased claims, backoff for a day, then dead."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import leads
from leads import DEAD, DELIVERED, PENDING
from testing.clock import FakeClock
from tests.leads.conftest import T0, make


def test_a_lead_and_its_sink_rows_are_written_together(outbox: leads.Outbox) -> None:
    lead = make()
    outbox.add(lead, ("webhook", "bitrix24"))
    [record] = outbox.records()
    assert record.lead == lead
    assert [(s.sink, s.status, s.attempts) for s in record.sinks] == [
        ("webhook", PENDING, 0),
        ("bitrix24", PENDING, 0),
    ]
    assert outbox.counts() == {PENDING: 2, DELIVERED: 0, DEAD: 0}


def test_a_second_worker_never_claims_a_leased_row(tmp_path: Path, clock: FakeClock) -> None:
    first = leads.Outbox(tmp_path / "state.db", clock=clock)
    second = leads.Outbox(tmp_path / "state.db", clock=clock)
    for n in range(5):
        first.add(make(now=T0 + n), ("webhook",))
    taken = first.claim(limit=3, lease=60)
    rest = second.claim(limit=10, lease=60)
    assert len(taken) == 3
    assert len(rest) == 2
    assert {c.lead.id for c in taken}.isdisjoint({c.lead.id for c in rest})
    assert second.claim(limit=10) == []
    for claim in rest:
        second.finish(claim, DELIVERED, "HTTP 200")
    clock.advance(61)  # the first worker died: its leases run out, the rows come back
    back = second.claim(limit=10)
    assert sorted(c.lead.id for c in back) == sorted(c.lead.id for c in taken)
    assert {c.attempt for c in back} == {2}
    first.close()
    second.close()


def test_a_late_finish_by_a_worker_that_lost_its_lease_does_not_override(
    tmp_path: Path, clock: FakeClock
) -> None:
    first = leads.Outbox(tmp_path / "state.db", clock=clock)
    second = leads.Outbox(tmp_path / "state.db", clock=clock)
    first.add(make(), ("webhook",))
    [old] = first.claim(lease=10)
    clock.advance(11)
    [new] = second.claim(lease=10)
    assert second.finish(new, DELIVERED, "HTTP 200") == DELIVERED
    assert first.finish(old, "retry", "HTTP 500") == PENDING
    [record] = first.records()
    assert record.sinks[0].status == DELIVERED
    assert [(n, outcome) for _, n, _, outcome, _ in first.attempts(old.lead.id)] == [
        (1, "retry"),
        (2, DELIVERED),
    ]
    first.close()
    second.close()


def test_retries_back_off_exponentially_with_jitter_then_die_after_a_day(
    outbox: leads.Outbox, clock: FakeClock
) -> None:
    outbox.add(make(), ("webhook",))
    waits: list[float] = []
    status = PENDING
    while status == PENDING:
        due = outbox.next_due()
        assert due is not None
        waits.append(due - clock())
        clock.now = due
        [claim] = outbox.claim()
        status = outbox.finish(claim, "retry", "HTTP 503: busy")
    assert status == DEAD
    assert waits[0] == 0
    assert 2.5 <= waits[1] <= 5
    assert 5 <= waits[2] <= 10
    assert 10 <= waits[3] <= 20
    assert max(waits) <= 15 * 60
    assert clock() - T0 <= 24 * 3600
    [record] = outbox.records()
    assert record.status == DEAD
    assert record.sinks[0].reason.startswith(f"gave up after {record.sinks[0].attempts} attempts")


def test_retry_delay_honours_a_sinks_retry_after() -> None:
    rng = random.Random(1)
    assert leads.retry_delay(1, after=120.0, rng=rng) == 120.0
    assert leads.retry_delay(30, rng=rng) <= 900


def test_a_permanent_refusal_is_dead_at_once_and_retry_queues_it_again(
    outbox: leads.Outbox, clock: FakeClock
) -> None:
    lead = make()
    outbox.add(lead, ("webhook", "bitrix24"))
    claims = {c.sink: c for c in outbox.claim()}
    assert outbox.finish(claims["bitrix24"], DEAD, "HTTP 400: ERROR_CORE") == DEAD
    assert outbox.finish(claims["webhook"], DELIVERED, "HTTP 200") == DELIVERED
    [record] = outbox.records()
    assert record.status == DEAD
    assert {s.sink: (s.status, s.reason) for s in record.sinks} == {
        "webhook": (DELIVERED, "HTTP 200"),
        "bitrix24": (DEAD, "HTTP 400: ERROR_CORE"),
    }
    assert outbox.retry(lead.id) == 1
    assert [c.sink for c in outbox.claim()] == ["bitrix24"]


def test_delivered_leads_are_purged_after_the_retention(
    outbox: leads.Outbox, clock: FakeClock
) -> None:
    done, stuck = make(now=T0), make(now=T0 + 1)
    outbox.add(done, ("webhook",))
    outbox.add(stuck, ("webhook",))
    claims = {c.lead.id: c for c in outbox.claim()}
    outbox.finish(claims[done.id], DELIVERED, "HTTP 200")
    outbox.finish(claims[stuck.id], DEAD, "HTTP 400")
    clock.advance(29 * 86400)
    assert outbox.purge(30) == 0
    clock.advance(2 * 86400)
    assert outbox.purge(30) == 1
    assert [r.lead.id for r in outbox.records()] == [stuck.id]
    assert outbox.attempts(done.id) == []


def test_records_filter_by_time(outbox: leads.Outbox) -> None:
    old, new = make(now=T0 - 10 * 86400), make(now=T0)
    outbox.add(old, ("webhook",))
    outbox.add(new, ("webhook",))
    assert [r.lead.id for r in outbox.records()] == [new.id, old.id]
    assert [r.lead.id for r in outbox.records(since=T0 - 86400)] == [new.id]


def test_the_leases_of_a_killed_worker_on_this_host_are_released(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "state.db"
    box = leads.Outbox(path, clock=time.time)
    box.add(make(now=time.time()), ("webhook",))
    code = "import sys, leads; print(len(leads.Outbox(sys.argv[1]).claim(lease=3600)))"
    claimed = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert claimed.stdout == "1\n"  # that worker exited holding an hour-long lease
    assert box.claim() == []
    assert box.release_orphans() == 1
    [claim] = box.claim()
    assert claim.attempt == 2
    assert box.release_orphans() == 0  # this process is alive: its lease stands
    box.close()
