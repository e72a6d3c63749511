"""Each sink against its fake in the sandbox: the request shapes, the faults, the retries."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import pytest

import leads
from leads import DEAD, DELIVERED, PENDING
from testing.clock import FakeClock
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests.leads.conftest import WEBHOOK_SECRET, crm_faults, make, received, sink_env

BOT_TOKEN = "123456:TEST-leads-bot-token"
MANAGERS = -1001234567


def deliverer(outbox: leads.Outbox, env: dict[str, str], timeout: float = 5.0) -> leads.Deliverer:
    sinks, missing = leads.sinks_from_env(env)
    return leads.Deliverer(outbox, sinks, leads.HttpTransport(timeout=timeout), missing=missing)


def run(d: leads.Deliverer) -> int:
    async def once() -> int:
        try:
            return await d.run_once()
        finally:
            await d.transport.aclose()

    return asyncio.run(once())


def statuses(outbox: leads.Outbox) -> dict[str, str]:
    [record] = outbox.records()
    return {s.sink: s.status for s in record.sinks}


def test_every_sink_gets_the_lead_in_its_services_shape(
    sandbox: Server, outbox: leads.Outbox
) -> None:
    lead = make(
        name="Anna Karenina",
        phone="8 916 123-45-67",
        email="anna@club.example",
        comment="Call after 6 pm",
    )
    outbox.add(lead, ("webhook", "bitrix24", "amocrm", "hubspot"))
    assert run(deliverer(outbox, sink_env(sandbox))) == 4
    assert statuses(outbox) == dict.fromkeys(
        ("webhook", "bitrix24", "amocrm", "hubspot"), DELIVERED
    )
    got = received(sandbox)
    assert got["counts"] == {"webhook": 1, "bitrix24": 1, "amocrm": 1, "hubspot": 2}

    [hook] = [r for r in got["requests"] if r["fake"] == "webhook"]
    assert hook["headers"]["idempotency-key"] == lead.id
    t, v1 = (part.split("=", 1)[1] for part in hook["headers"]["x-kbsync-signature"].split(","))
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.{hook['body']}".encode(), hashlib.sha256)
    assert hmac.compare_digest(v1, expected.hexdigest())
    assert json.loads(hook["body"]) == {
        "id": lead.id,
        "created_at": leads.iso(lead.created_at),
        "kb_name": "club",
        "channel": "web",
        "variant": "main",
        "fields": {
            "name": "Anna Karenina",
            "phone": "+79161234567",
            "email": "anna@club.example",
            "comment": "Call after 6 pm",
        },
        "consent": {"text_sha256": lead.consent_sha256, "accepted_at": leads.iso(lead.created_at)},
        "page": "https://club.example/prices",
    }

    [b24] = got["bitrix24"]["leads"]
    assert b24["ORIGIN_ID"] == lead.id
    assert b24["ORIGINATOR_ID"] == "kbsync"
    assert b24["PHONE"] == [{"VALUE": "+79161234567", "VALUE_TYPE": "WORK"}]
    assert b24["EMAIL"] == [{"VALUE": "anna@club.example", "VALUE_TYPE": "WORK"}]
    assert b24["COMMENTS"] == "Call after 6 pm"

    [deal] = got["amocrm"]["leads"]
    assert lead.id in deal["name"]
    [contact] = deal["_embedded"]["contacts"]
    assert contact["custom_fields_values"][0] == {
        "field_code": "PHONE",
        "values": [{"value": "+79161234567", "enum_code": "WORK"}],
    }

    [person] = got["hubspot"]["contacts"]
    assert person["properties"] == {
        "email": "anna@club.example",
        "firstname": "Anna",
        "lastname": "Karenina",
        "phone": "+79161234567",
    }
    [note] = got["hubspot"]["notes"]
    assert note["associations"][0]["to"] == {"id": person["id"]}
    assert note["associations"][0]["types"][0]["associationTypeId"] == 202
    assert lead.id in note["properties"]["hs_note_body"]


def test_a_lost_reply_is_found_by_origin_id_not_added_twice(
    sandbox: Server, outbox: leads.Outbox, clock: FakeClock
) -> None:
    lead = make()
    outbox.add(lead, ("bitrix24", "amocrm"))
    crm_faults(
        sandbox,
        bitrix24={"rate": 1, "kinds": ["drop_reply"]},
        amocrm={"rate": 1, "kinds": ["drop_reply"]},
    )
    run(deliverer(outbox, sink_env(sandbox)))
    assert statuses(outbox) == {"bitrix24": PENDING, "amocrm": PENDING}
    crm_faults(sandbox)
    clock.advance(5)  # the longest first wait
    run(deliverer(outbox, sink_env(sandbox)))
    assert statuses(outbox) == {"bitrix24": DELIVERED, "amocrm": DELIVERED}
    got = received(sandbox)
    assert [b["ORIGIN_ID"] for b in got["bitrix24"]["leads"]] == [lead.id]
    assert len(got["amocrm"]["leads"]) == 1
    assert [r["path"].rsplit("/", 1)[-1] for r in got["requests"] if r["fake"] == "bitrix24"] == [
        "crm.lead.add.json",
        "crm.lead.list.json",
    ]
    attempts = {(s, n): (o, d) for s, n, _, o, d in outbox.attempts(lead.id)}
    assert attempts[("bitrix24", 2)] == (DELIVERED, "lead 1 (found by ORIGIN_ID)")


def test_a_sink_refusing_with_400_is_dead_with_its_reason_and_the_others_deliver(
    sandbox: Server, outbox: leads.Outbox
) -> None:
    outbox.add(make(), ("webhook", "bitrix24", "hubspot"))
    crm_faults(sandbox, bitrix24={"rate": 1, "kinds": ["400"]})
    run(deliverer(outbox, sink_env(sandbox)))
    [record] = outbox.records()
    assert {s.sink: (s.status, s.reason) for s in record.sinks} == {
        "webhook": (DELIVERED, "HTTP 200"),
        "bitrix24": (DEAD, "HTTP 400: ERROR_CORE: The lead was not added (sandbox fault)."),
        "hubspot": (DELIVERED, "contact 101, note 901"),
    }


def test_a_sink_down_for_an_hour_gets_the_lead_when_it_returns(
    sandbox: Server, outbox: leads.Outbox, clock: FakeClock
) -> None:
    lead = make()
    outbox.add(lead, ("webhook",))
    crm_faults(sandbox, webhook={"rate": 1, "kinds": ["500"]})
    d = deliverer(outbox, sink_env(sandbox))
    while clock() < lead.created_at + 3600:
        run(d)
        clock.now = outbox.next_due() or clock.now
        d = deliverer(outbox, sink_env(sandbox))
    assert statuses(outbox) == {"webhook": PENDING}
    crm_faults(sandbox)
    run(d)
    assert statuses(outbox) == {"webhook": DELIVERED}
    attempts = outbox.attempts(lead.id)
    assert [o for _, _, _, o, _ in attempts] == ["retry"] * (len(attempts) - 1) + [DELIVERED]
    assert attempts[0][4] == "HTTP 500: Internal Server Error (sandbox fault)"
    assert len(received(sandbox)["webhook"]["leads"]) == 1


def test_a_timeout_is_retried(sandbox: Server, outbox: leads.Outbox, clock: FakeClock) -> None:
    outbox.add(make(), ("webhook",))
    crm_faults(sandbox, webhook={"rate": 1, "kinds": ["timeout"]})
    run(deliverer(outbox, sink_env(sandbox), timeout=0.3))
    [record] = outbox.records()
    assert record.sinks[0].reason == "no answer in time (ReadTimeout)"
    crm_faults(sandbox)
    clock.now = outbox.next_due() or clock.now
    run(deliverer(outbox, sink_env(sandbox)))
    assert statuses(outbox) == {"webhook": DELIVERED}


def test_a_listed_sink_without_its_variables_waits_and_says_which_to_set(
    sandbox: Server, outbox: leads.Outbox
) -> None:
    outbox.add(make(), ("webhook", "amocrm"))
    env = {k: v for k, v in sink_env(sandbox).items() if not k.startswith("AMOCRM")}
    run(deliverer(outbox, env))
    [record] = outbox.records()
    assert {s.sink: (s.status, s.reason) for s in record.sinks} == {
        "webhook": (DELIVERED, "HTTP 200"),
        "amocrm": (PENDING, "AMOCRM_BASE_URL is not set"),
    }


def test_the_managers_chat_gets_an_escaped_message(sandbox: Server, outbox: leads.Outbox) -> None:
    sandbox_call(sandbox, "POST", "/_sandbox/telegram/chats", {"id": MANAGERS, "title": "Managers"})
    lead = make(name="Anna & Co", phone="+79161234567", comment="<script>alert(1)</script>")
    outbox.add(lead, ("telegram",))
    env = {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "LEADS_TELEGRAM_CHAT_ID": str(MANAGERS),
        "TELEGRAM_API_URL": f"{sandbox.url}/telegram",
    }
    run(deliverer(outbox, env))
    assert statuses(outbox) == {"telegram": DELIVERED}
    sent: list[dict[str, Any]] = sandbox_call(
        sandbox, "GET", f"/_sandbox/telegram/sent?chat_id={MANAGERS}"
    )["sent"]
    [message] = [e for e in sent if e.get("text")]
    assert "Anna & Co" in message["text"]
    assert "<script>alert(1)</script>" in message["text"]
    assert lead.id in message["text"]


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_passing_failures_are_retried_and_other_4xx_are_refusals(status: int) -> None:
    reply = leads.Response(status, {"retry-after": "7"}, b'{"error": "busy"}')
    from leads._sinks._base import judge

    with pytest.raises(leads.SinkRetry) as caught:
        judge(reply, lambda data: data["error"])
    assert caught.value.after == 7.0
    with pytest.raises(leads.SinkRefused, match="HTTP 403: busy"):
        judge(leads.Response(403, {}, b'{"error": "busy"}'), lambda data: data["error"])
