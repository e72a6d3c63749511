"""``kbsync leads``: list (masked), filter, --json, --retry, deliver --once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import leads
from kbsync.cli import main
from testing.servers import Server
from tests.leads.conftest import T0, crm_faults, make, received, sink_env


@pytest.fixture
def state_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "state.db"
    monkeypatch.setenv("STATE_DB", str(path))
    return path


def seed(state_db: Path) -> tuple[leads.Lead, leads.Lead]:
    box = leads.Outbox(state_db)
    done = make(now=T0, name="Anna Karenina", phone="+79161234567", email="anna@club.example")
    dead = make(now=T0 + 60, name="Boris", phone="+79031234567")
    box.add(done, ("webhook",))
    box.add(dead, ("bitrix24",))
    claims = {c.lead.id: c for c in box.claim()}
    box.finish(claims[done.id], leads.DELIVERED, "HTTP 200")
    box.finish(claims[dead.id], leads.DEAD, "HTTP 400: ERROR_CORE: phone +79031234567 refused")
    box.close()
    return done, dead


def test_the_list_masks_contacts_unless_asked(state_db: Path) -> None:
    done, dead = seed(state_db)
    out = CliRunner().invoke(main, ["leads"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == [
        f"{dead.id}  2027-01-15 08:01  web/main  dead  B•••  +7903•••••67",
        "    bitrix24  dead      1 attempt  HTTP 400: ERROR_CORE: phone [phone] refused",
        f"{done.id}  2027-01-15 08:00  web/main  delivered  "
        "A••• K•••  +7916•••••67  a•••@club.example",
        "    webhook   delivered 1 attempt",
    ]
    assert out.stderr == "2 leads (contacts masked; --show-contacts)\n"
    shown = CliRunner().invoke(main, ["leads", "--show-contacts", "--status", "dead"])
    assert (
        shown.stdout.splitlines()[0]
        == f"{dead.id}  2027-01-15 08:01  web/main  dead  Boris  +79031234567"
    )
    assert "+79031234567 refused" in shown.stdout
    assert done.id not in shown.stdout


def test_json_and_since(state_db: Path) -> None:
    done, dead = seed(state_db)
    out = CliRunner().invoke(main, ["leads", "--json", "--status", "delivered"])
    [entry] = json.loads(out.stdout)
    assert entry == {
        "id": done.id,
        "created_at": "2027-01-15T08:00:00Z",
        "kb_name": "club",
        "channel": "web",
        "variant": "main",
        "status": "delivered",
        "fields": {"name": "A••• K•••", "phone": "+7916•••••67", "email": "a•••@club.example"},
        "page": "https://club.example/prices",
        "sinks": [
            {
                "sink": "webhook",
                "status": "delivered",
                "attempts": 1,
                "next_at": None,
                "reason": "HTTP 200",
            }
        ],
    }
    recent = CliRunner().invoke(main, ["leads", "--since", "2027-01-15T08:00:30", "--json"])
    assert [entry["id"] for entry in json.loads(recent.stdout)] == [dead.id]
    bad = CliRunner().invoke(main, ["leads", "--since", "soon"])
    assert bad.exit_code == 1
    assert "--since 'soon' is neither a duration" in bad.stderr


def test_retry_requeues_a_dead_lead_and_deliver_once_sends_it(
    state_db: Path, sandbox: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, dead = seed(state_db)
    for name, value in sink_env(sandbox).items():
        monkeypatch.setenv(name, value)
    out = CliRunner().invoke(main, ["leads", "--retry", dead.id])
    assert out.stdout == f"{dead.id}: 1 sink queued again; the relay delivers them next.\n"
    again = CliRunner().invoke(main, ["leads", "--retry", dead.id])
    assert again.exit_code == 1
    assert f"error: {dead.id} has no dead sink to retry; its status is pending." in again.stderr
    unknown = CliRunner().invoke(main, ["leads", "--retry", "ld_nope"])
    assert "error: No lead ld_nope in the outbox" in unknown.stderr
    crm_faults(sandbox)
    sent = CliRunner().invoke(main, ["leads", "deliver", "--once"])
    assert sent.exit_code == 0, sent.output
    assert sent.stdout == "1 attempt: 1 delivered, 0 to retry, 0 dead; 0 purged.\n"
    assert [lead["ORIGIN_ID"] for lead in received(sandbox)["bitrix24"]["leads"]] == [dead.id]


def test_no_outbox_and_no_sink_are_one_line_each(
    state_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = CliRunner().invoke(main, ["leads"])
    assert out.exit_code == 1
    assert out.stderr.startswith("error: No outbox at ")
    seed(state_db)
    for name in (
        "LEADS_WEBHOOK_URL",
        "BITRIX24_WEBHOOK_URL",
        "AMOCRM_BASE_URL",
        "HUBSPOT_TOKEN",
        "TELEGRAM_BOT_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    none = CliRunner().invoke(main, ["leads", "deliver", "--once"])
    assert none.exit_code == 1
    assert none.stderr.startswith("error: No lead sink is configured: set LEADS_WEBHOOK_URL")
