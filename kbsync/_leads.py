"""``kbsync leads``: what the outbox holds, and delivering it from a cron or systemd timer.

``kbsync leads [--since 7d] [--status pending|delivered|dead] [--json] [--show-contacts]``
lists leads, newest first, with each sink's status (contacts masked unless asked);
``--retry ID`` queues a lead's dead sinks again; ``kbsync leads deliver [--once]`` runs
the delivery the relay runs in the background (``--once``: what is due now, then exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from datetime import UTC, datetime
from typing import Any

import click

import leads
from kbcore.errors import KbsyncError
from kbcore.mask import mask
from kbcore.output import display_path, exit_with, info, plural, result
from kbsync._chatlog import parse_since


def mask_value(key: str, value: str) -> str:
    """A contact detail with most of it hidden: enough to recognise, not to use."""
    if key == "phone":
        return value[:5] + "•" * max(0, len(value) - 7) + value[-2:]
    if key == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}•••@{domain}"
    if key == "name":
        return " ".join(part[:1] + "•••" for part in value.split())
    return f"({len(value)} characters)"


def _fields(record: leads.LeadRecord, show: bool) -> dict[str, str]:
    present = record.lead.fields.present()
    return present if show else {k: mask_value(k, v) for k, v in present.items()}


def _reason(reason: str | None, show: bool) -> str | None:
    return reason if reason is None or show else mask(reason)


def _as_json(record: leads.LeadRecord, show: bool) -> dict[str, Any]:
    lead = record.lead
    return {
        "id": lead.id,
        "created_at": leads.iso(lead.created_at),
        "kb_name": lead.kb_name,
        "channel": lead.channel,
        "variant": lead.variant,
        "status": record.status,
        "fields": _fields(record, show),
        "page": lead.page,
        "sinks": [
            {
                "sink": s.sink,
                "status": s.status,
                "attempts": s.attempts,
                "next_at": leads.iso(s.next_at) if s.status == leads.PENDING else None,
                "reason": _reason(s.reason, show),
            }
            for s in record.sinks
        ],
    }


def _as_text(record: leads.LeadRecord, show: bool) -> list[str]:
    lead = record.lead
    when = datetime.fromtimestamp(lead.created_at, UTC).strftime("%Y-%m-%d %H:%M")
    contact = "  ".join(_fields(record, show).values())
    lines = [f"{lead.id}  {when}  {lead.channel}/{lead.variant}  {record.status}  {contact}"]
    for s in record.sinks:
        reason = _reason(s.reason, show)
        tail = f"  {reason}" if reason and s.status != leads.DELIVERED else ""
        lines.append(f"    {s.sink:<9} {s.status:<9} {plural(s.attempts, 'attempt')}{tail}")
    return lines


def _open() -> leads.Outbox:
    path = leads.outbox_path()
    if not path.is_file():
        raise KbsyncError(
            f"No outbox at {display_path(path)}: run this where the relay runs, "
            "or set STATE_DB to the relay's state file."
        )
    return leads.Outbox(path)


def list_leads(since: str | None, status: str | None, as_json: bool, show: bool) -> int:
    outbox = _open()
    try:
        start = parse_since(since, datetime.now(UTC)).timestamp() if since else None
        records = [r for r in outbox.records(since=start) if status in (None, r.status)]
    finally:
        outbox.close()
    if as_json:
        result(json.dumps([_as_json(r, show) for r in records], ensure_ascii=False, indent=2))
        return 0
    for record in records:
        result("\n".join(_as_text(record, show)))
    info(plural(len(records), "lead") + ("" if show else " (contacts masked; --show-contacts)"))
    return 0


def retry(lead_id: str) -> int:
    outbox = _open()
    try:
        found = outbox.records(lead_id=lead_id)
        if not found:
            raise KbsyncError(f"No lead {lead_id} in the outbox; `kbsync leads` lists them.")
        queued = outbox.retry(lead_id)
    finally:
        outbox.close()
    if not queued:
        raise KbsyncError(f"{lead_id} has no dead sink to retry; its status is {found[0].status}.")
    result(f"{lead_id}: {plural(queued, 'sink')} queued again; the relay delivers them next.")
    return 0


def _line(outcome: leads.Outcome) -> None:
    info(f"{outcome.lead} {outcome.sink}: {outcome.status} ({mask(outcome.detail)})")


async def _deliver(once: bool) -> int:
    sinks, missing = leads.sinks_from_env(os.environ)
    if not sinks:
        raise KbsyncError(
            "No lead sink is configured: set LEADS_WEBHOOK_URL (and LEADS_WEBHOOK_SECRET), "
            "BITRIX24_WEBHOOK_URL, AMOCRM_BASE_URL, HUBSPOT_TOKEN or LEADS_TELEGRAM_CHAT_ID."
        )
    outbox = _open()
    transport = leads.HttpTransport(timeout=leads.sink_timeout())
    deliverer = leads.Deliverer(
        outbox, sinks, transport, missing=missing, report=_line,
        retention_days=leads.retention_days(),
    )  # fmt: skip
    try:
        if once:
            attempted = await deliverer.run_once()
            purged = outbox.purge(deliverer.retention_days)
            done = deliverer.outcomes
            counts = {s: sum(n for (_, st), n in done.items() if st == s) for s in leads.STATUSES}
            result(
                f"{plural(attempted, 'attempt')}: {counts['delivered']} delivered, "
                f"{counts['pending']} to retry, {counts['dead']} dead; {purged} purged."
            )
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        info(f"Delivering leads from {display_path(outbox.path)}; Ctrl-C stops.")
        await deliverer.run(stop)
        return 0
    finally:
        await transport.aclose()
        outbox.close()


@click.group(name="leads", invoke_without_command=True)
@click.option("--since", metavar="WHEN", help="Only leads since then: 7d, 12h, or a date.")
@click.option("--status", type=click.Choice(leads.STATUSES), help="Only leads in this status.")
@click.option("--json", "as_json", is_flag=True, help="Print the leads as one JSON document.")
@click.option("--show-contacts", is_flag=True, help="Show names, phones and e-mails in full.")
@click.option("--retry", "retry_id", metavar="ID", help="Queue this lead's dead sinks again.")
@click.pass_context
def main(
    ctx: click.Context,
    since: str | None,
    status: str | None,
    as_json: bool,
    show_contacts: bool,
    retry_id: str | None,
) -> None:
    """The leads visitors left (newest first) and where each was delivered."""
    if ctx.invoked_subcommand is not None:
        return
    if retry_id is not None:
        exit_with(lambda: retry(retry_id))
    exit_with(lambda: list_leads(since, status, as_json, show_contacts))


@main.command(name="deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (for a timer).")
def deliver(once: bool) -> None:
    """Deliver the outbox to the configured sinks (as the relay does in the background)."""

    def run() -> int:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(_deliver(once))
        return 130

    exit_with(run)


DEV_WEBHOOK_SECRET = "kbsync-dev-webhook-secret"


def dev_sink_env(sandbox_url: str, env: dict[str, str]) -> list[str]:
    """Point every lead sink the environment leaves unset at the sandbox's CRM fakes (for
    ``kbsync dev``); returns the lines that say where a lead can be seen arriving."""
    fakes = {
        "LEADS_WEBHOOK_URL": f"{sandbox_url}/crm/webhook",
        "LEADS_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET,
        "BITRIX24_WEBHOOK_URL": f"{sandbox_url}/crm/bitrix24/rest/1/devtoken/",
        "AMOCRM_BASE_URL": f"{sandbox_url}/crm/amocrm",
        "AMOCRM_TOKEN": "dev-amocrm-token",
        "HUBSPOT_BASE_URL": f"{sandbox_url}/crm/hubspot",
        "HUBSPOT_TOKEN": "dev-hubspot-token",
    }
    for name, value in fakes.items():
        if not env.get(name, "").strip():
            env[name] = value
    return [
        f"Leads go to the sandbox's CRM fakes: {sandbox_url}/_sandbox/crm/received shows what "
        "each received; `kbsync leads` lists the outbox.",
    ]
