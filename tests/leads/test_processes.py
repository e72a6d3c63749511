"""Real processes: a relay SIGKILLed right after a 202 delivers the lead once restarted;
a small reliability run (faults in both fakes, kills) loses nothing and doubles nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.leads import LeadStack, crm, kill, lead_body, post_lead, reliability_run
from testing.sandbox import sandbox_call
from testing.servers import Server
from testing.waiting import wait_for


def test_a_relay_killed_right_after_the_202_delivers_the_lead_after_restart(
    sandbox: Server, tmp_path: Path
) -> None:
    stack = LeadStack(sandbox.url, tmp_path)
    # Both fakes hang: the attempts are in flight when the relay dies.
    hang = {"rate": 1, "kinds": ["timeout"]}
    sandbox_call(sandbox, "POST", "/_sandbox/crm/faults", {"webhook": hang, "bitrix24": hang})
    with stack.relay() as server:
        status, body = post_lead(server.url, lead_body(1))
        assert status == 202
        kill(server)
    lead_id = body["lead"]
    sandbox_call(sandbox, "POST", "/_sandbox/crm/faults", {})
    with stack.relay():
        wait_for(lambda: stack.outbox_counts()["delivered"] == 2, what="both sinks delivered")
    got = crm(sandbox.url)
    assert [lead["id"] for lead in got["webhook"]["leads"]] == [lead_id]
    assert [lead["ORIGIN_ID"] for lead in got["bitrix24"]["leads"]] == [lead_id]


@pytest.mark.slow
def test_reliability_small_no_lead_lost_or_doubled(sandbox: Server, tmp_path: Path) -> None:
    result = reliability_run(LeadStack(sandbox.url, tmp_path), total=60, kills=2, seed=3)
    assert result.accepted == 60
    assert result.lost == 0
    assert result.bitrix_duplicates == 0
    assert result.webhook_duplicates == 0
    assert result.dead == 0
    assert result.fault_share >= 0.15  # about 0.3 by the dice; a small run varies
