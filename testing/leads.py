"""Leads end to end on real processes: a sandbox with the CRM fakes, ``python -m relay``
over a KB with ``leads:``, posting leads, killing the relay, and checking what the fakes
hold. ``tests/leads`` runs it small; ``bench/bench_leads.py`` in full."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

import leads
from testing.kb import write_kb
from testing.sandbox import API_KEY, sandbox_call
from testing.servers import Server, free_port, relay_server
from testing.waiting import wait_for

RELAY_SECRET = "leads-stack-secret-0123456789abcdef"
WEBHOOK_SECRET = "whsec-stack-0123456789abcdef"
LEADS_YAML = """\
name: club
leads:
  fields: [name, phone, email, comment]
  required: [name, phone]
  consent:
    ru: "Нажимая «Отправить», я соглашаюсь на обработку персональных данных."
    en: "By sending, I agree to the processing of my personal data."
  privacy_url: "https://club.example/privacy"
  sinks: [webhook, bitrix24]
"""


def lead_body(n: int) -> dict[str, Any]:
    return {
        "fields": {"name": f"Visitor {n}", "phone": f"+7916{n:07d}", "comment": f"lead {n}"},
        "consent": True,
        "page": "https://club.example/prices",
    }


@dataclass
class LeadStack:
    """One KB, one outbox file, the sinks pointed at ``sandbox_url``'s fakes."""

    sandbox_url: str
    folder: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    starts: int = 0

    def __post_init__(self) -> None:
        self.kb = write_kb(
            self.folder / "kb", {"a.md": "# Club\n\nOpen daily.\n"}, settings=LEADS_YAML
        )
        self.state_db = self.folder / "state.db"

    def env(self) -> dict[str, str]:
        base = self.sandbox_url
        return {
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": f"{base}/v1",
            "KB_DIR": str(self.kb),
            "RELAY_SECRET": RELAY_SECRET,
            "STATE_DB": str(self.state_db),
            "RATE_LIMIT": "off",
            "LEADS_WEBHOOK_URL": f"{base}/crm/webhook",
            "LEADS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "BITRIX24_WEBHOOK_URL": f"{base}/crm/bitrix24/rest/1/stacktoken/",
            "LEADS_SINK_TIMEOUT": "1",
            **self.extra_env,
        }

    @contextmanager
    def relay(self) -> Iterator[Server]:
        self.starts += 1
        log = self.folder / f"relay-{self.starts}.log"
        with relay_server(log, self.env(), port=free_port(), ready_path="/healthz") as server:
            wait_for(lambda: _spec_loaded(server), what="the relay's spec", timeout=30)
            yield server

    def unattempted(self) -> int:
        """Sink rows no attempt has been made for yet."""
        with contextlib.closing(sqlite3.connect(self.state_db, timeout=30)) as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM lead_sinks WHERE attempts = 0").fetchone()
        return int(count)

    def outbox_counts(self) -> dict[str, int]:
        box = leads.Outbox(self.state_db)
        try:
            return box.counts()
        finally:
            box.close()


def _spec_loaded(server: Server) -> bool:
    """A lead post with no fields: 400 once the spec is loaded (503 before)."""
    status, _ = post_lead(server.url, {"fields": {}, "consent": True})
    return status == 400


def post_lead(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{url}/api/lead",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept-Language": "ru"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def kill(server: Server) -> None:
    """SIGKILL: no shutdown hook runs, nothing is flushed but what was committed."""
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()


def crm(sandbox_url: str) -> dict[str, Any]:
    found: dict[str, Any] = sandbox_call(sandbox_url, "GET", "/_sandbox/crm/received")
    return found


async def post_many(
    url: str, first: int, count: int, concurrency: int
) -> tuple[list[str], list[float]]:
    """Post leads ``first..first+count-1``; the accepted ids and each 202's latency (s)."""
    ids: list[str] = []
    latencies: list[float] = []
    queue = iter(range(first, first + count))
    async with httpx2.AsyncClient(base_url=url, timeout=30) as client:

        async def worker() -> None:
            for n in queue:
                started = time.perf_counter()
                reply = await client.post(
                    "/api/lead", json=lead_body(n), headers={"Accept-Language": "ru"}
                )
                if reply.status_code != 202:
                    raise AssertionError(f"lead {n}: HTTP {reply.status_code} {reply.text}")
                latencies.append(time.perf_counter() - started)
                ids.append(reply.json()["lead"])

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ids, latencies


@dataclass(frozen=True)
class Reliability:
    posted: int
    accepted: int
    kills: int
    lost: int  # accepted, but missing from a fake once the outbox drained
    bitrix_duplicates: int  # ORIGIN_IDs stored more than once
    webhook_duplicates: int  # Idempotency-Keys the receiver stored more than once
    webhook_resent: int  # deliveries the receiver acknowledged as already had
    bitrix_lookups: int  # crm.lead.list calls a retry made before adding again
    faults: dict[str, int]
    fault_share: float  # faults dealt / requests to the fakes while faults were on
    drain_seconds: float  # from the faults' end to the outbox's last delivery
    dead: int


def reliability_run(
    stack: LeadStack,
    *,
    total: int,
    kills: int,
    rate: float = 0.3,
    seed: int = 1,
    concurrency: int = 8,
    drain_timeout: float = 300.0,
) -> Reliability:
    """Post ``total`` leads while the webhook and Bitrix24 fakes fail ``rate`` of requests
    (500, timeout, lost reply), SIGKILLing the relay right after a 202 ``kills`` times and
    starting it again; then stop the faults and wait for the outbox to drain."""
    url = stack.sandbox_url
    kinds = ["500", "timeout", "drop_reply"]
    sandbox_call(url, "POST", "/_sandbox/crm/faults", {
        "webhook": {"rate": rate, "kinds": kinds, "seed": seed},
        "bitrix24": {"rate": rate, "kinds": kinds, "seed": seed + 1},
    })  # fmt: skip
    accepted: list[str] = []
    chunk = -(-total // (kills + 1))
    for part in range(kills + 1):
        count = min(chunk, total - part * chunk)
        with stack.relay() as server:
            ids, _ = asyncio.run(post_many(server.url, part * chunk, count, concurrency))
            accepted += ids
            if part < kills:
                kill(server)  # right after the chunk's last 202, deliveries in flight
                continue
            # Faults stay on until every lead has met them (each row tried at least once).
            wait_for(lambda: stack.unattempted() == 0, timeout=drain_timeout,
                     what="every row to be tried under faults", every=0.2)  # fmt: skip
            sandbox_call(url, "POST", "/_sandbox/crm/faults", {})
            stopped, stopped_at = time.monotonic(), time.time()
            wait_for(lambda: stack.outbox_counts()["pending"] == 0, timeout=drain_timeout,
                     what="the outbox to drain", every=0.2)  # fmt: skip
            drained = time.monotonic() - stopped
    got = crm(url)
    b24 = Counter(lead["ORIGIN_ID"] for lead in got["bitrix24"]["leads"])
    hooks = Counter(lead["id"] for lead in got["webhook"]["leads"])
    keys_seen: Counter[str] = Counter()
    resent = 0
    faults: Counter[str] = Counter()
    before_stop = sum(1 for r in got["requests"] if r["at"] < stopped_at)
    for request in got["requests"]:
        if request["fault"]:
            faults[f"{request['fake']} {request['fault']}"] += 1
        if request["fake"] == "webhook" and request["fault"] in (None, "drop_reply"):
            key = request["headers"].get("idempotency-key", "")  # the receiver had it from then
            resent += keys_seen[key] > 0
            keys_seen[key] += 1
    found = sum(
        1 for r in got["requests"]
        if r["fake"] == "bitrix24" and r["path"].endswith("crm.lead.list.json") and not r["fault"]
    )  # fmt: skip
    lost = sum(1 for lead_id in accepted if b24[lead_id] == 0 or hooks[lead_id] == 0)
    return Reliability(
        posted=total,
        accepted=len(accepted),
        kills=kills,
        lost=lost,
        bitrix_duplicates=sum(n - 1 for n in b24.values() if n > 1),
        webhook_duplicates=sum(n - 1 for n in hooks.values() if n > 1),
        webhook_resent=resent,
        bitrix_lookups=found,
        faults=dict(faults),
        fault_share=round(sum(faults.values()) / max(1, before_stop), 3),
        drain_seconds=round(drained, 1),
        dead=stack.outbox_counts()["dead"],
    )
