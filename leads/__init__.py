"""The lead engine: a visitor's contact, validated, kept in a durable outbox, and
delivered at least once to every configured sink (webhook, Telegram, Bitrix24, amoCRM,
HubSpot), each with its own status, retried with backoff for a day, then ``dead``.

>>> lead = make_lead(spec.leads, {"phone": "8 916 123-45-67"}, consent=True,
...                  kb_name="club", channel="web", variant="main", language="ru")
>>> outbox = Outbox(outbox_path())
>>> outbox.add(lead, spec.leads.sinks)      # on disk when it returns: say 202 now
>>> sinks, missing = sinks_from_env(os.environ)
>>> await Deliverer(outbox, sinks, HttpTransport(), missing=missing).run(stop)
"""

from __future__ import annotations

from leads._accept import make_lead, outbox_path, retention_days, sink_timeout
from leads._backoff import GIVE_UP, retry_delay
from leads._deliver import Deliverer, Outcome
from leads._errors import (
    ConsentRequired,
    InvalidLead,
    LeadsError,
    OutboxError,
    SinkConfigError,
    SinkRefused,
    SinkRetry,
)
from leads._fields import ContactFields, clean_fields, region_for
from leads._group import GroupCommit
from leads._http import HttpTransport, Request, Response, Transport
from leads._lead import Lead, consent_sha256, iso
from leads._outbox import Outbox
from leads._rows import DEAD, DELIVERED, PENDING, STATUSES, Claim, LeadRecord, SinkState
from leads._sinks import KINDS as SINK_KINDS
from leads._sinks import Sink
from leads._sinks import from_env as sinks_from_env
from leads._sinks._webhook import signature as webhook_signature

__all__ = [
    "DEAD",
    "DELIVERED",
    "GIVE_UP",
    "PENDING",
    "SINK_KINDS",
    "STATUSES",
    "Claim",
    "ConsentRequired",
    "ContactFields",
    "Deliverer",
    "GroupCommit",
    "HttpTransport",
    "InvalidLead",
    "Lead",
    "LeadRecord",
    "LeadsError",
    "Outbox",
    "OutboxError",
    "Outcome",
    "Request",
    "Response",
    "Sink",
    "SinkConfigError",
    "SinkRefused",
    "SinkRetry",
    "SinkState",
    "Transport",
    "clean_fields",
    "consent_sha256",
    "iso",
    "make_lead",
    "outbox_path",
    "region_for",
    "retention_days",
    "retry_delay",
    "sink_timeout",
    "sinks_from_env",
    "webhook_signature",
]
