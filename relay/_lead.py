"""``POST /api/lead``: a visitor's contact, kept in the outbox before the 202.

Admission as ``/api/chat`` (``relay._admission``: media type, body size, JSON, origin,
rate limit), then: leads on for this KB, the conversation token (another KB's is
refused), the ``call_id`` (it must be the call the token is waiting on, and each answers
once), the fields and consent (``leads.make_lead``: one 400 naming every bad field).
Only after the outbox's commit does the visitor get ``202 {"lead", "conversation"?}``;
with a ``call_id`` the new token carries the call's output (``saved``) for the next turn.

The outbox is delivered by a background task started with the app (``LeadDesk``) when
any sink is configured. Log lines name the lead by its id, never by its contact.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from litestar import Request, Response, post

import leads
from kbcore.business import MAIN_VARIANT
from kbcore.kb import AssistantSpec
from kbcore.mask import mask
from relay import _log
from relay._access import access_record
from relay._admission import origin_allowed, read_json
from relay._errors import InvalidToken, refuse
from relay._runtime import Runtime, runtime_of
from relay._token import Claims, PendingCall, TokenSigner
from state import State, StateError, open_state

OFFER_CONTACT_FORM = "offer_contact_form"  # the model's tool whose call a lead answers
_CALLS = "lead_calls"  # state namespace: call ids already answered by a lead
_APP_KEY = "relay_leads"


def saved_output(lead_id: str) -> str:
    """The ``function_call_output`` of an ``offer_contact_form`` call the visitor answered."""
    return json.dumps({"status": "saved", "lead": lead_id}, separators=(",", ":"))


def saved_token(signer: TokenSigner, claims: Claims, lead_id: str) -> str:
    """``claims``' conversation re-signed with its pending call answered by ``lead_id``."""
    assert claims.pending is not None
    pending = PendingCall(claims.pending.call_id, claims.pending.name, saved_output(lead_id))
    return signer.sign(
        claims.kb_name,
        claims.conversation_id,
        claims.turn,
        variant=claims.variant,
        pending=pending,
    )


class LeadDesk:
    """The relay's outbox, its delivery task and the state that remembers answered calls."""

    def __init__(
        self,
        spec: Callable[[], AssistantSpec | None] = lambda: None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.spec = spec  # the KB's spec as loaded now
        self.environ = dict(os.environ if environ is None else environ)
        self.sinks, self.missing = leads.sinks_from_env(self.environ)
        self.outbox: leads.Outbox | None = None
        self.state: State | None = None
        self.deliverer: leads.Deliverer | None = None
        self.intake: leads.GroupCommit[tuple[leads.Lead, tuple[str, ...]], None] | None = None
        self.accepted = 0
        self._transport: leads.HttpTransport | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the outbox; deliver in the background when any sink is configured. A sink
        the spec lists but the environment does not configure is logged once."""
        spec = self.spec()
        form = spec.leads if spec is not None else None
        for sink in form.sinks if form is not None else ():
            if sink in self.missing:
                _log.event(
                    logging.WARNING,
                    "lead_sink_unconfigured",
                    sink=sink,
                    message=f"{self.missing[sink]}: its leads wait in the outbox until it is.",
                )
        try:
            self.outbox = leads.Outbox(leads.outbox_path(self.environ))
            self.state = open_state(env=self.environ)
        except (StateError, leads.LeadsError) as exc:  # the relay answers; leads get a 503
            _log.event(logging.ERROR, "lead_outbox_unavailable", error=str(exc))
            return
        self.intake = leads.GroupCommit(self.outbox.add_many)
        self._stop = asyncio.Event()
        if not self.sinks:
            return
        self._transport = leads.HttpTransport(timeout=leads.sink_timeout(self.environ))
        self.deliverer = leads.Deliverer(
            self.outbox,
            self.sinks,
            self._transport,
            missing=self.missing,
            report=_report,
            retention_days=leads.retention_days(self.environ),
        )
        self._task = asyncio.create_task(self._deliver(), name="relay-leads")

    async def _deliver(self) -> None:
        assert self.deliverer is not None
        while not self._stop.is_set():
            try:
                await self.deliverer.run(self._stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the outbox keeps every lead: look again shortly
                _log.event(logging.ERROR, "lead_delivery_failed", error=type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 5.0)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._transport is not None:
            await self._transport.aclose()
        for closable in (self.outbox, self.state):
            if closable is not None:
                closable.close()

    def metric_lines(self) -> Iterable[str]:
        yield "# HELP relay_leads_accepted_total Leads accepted (202) by this process."
        yield "# TYPE relay_leads_accepted_total counter"
        yield f"relay_leads_accepted_total {self.accepted}"
        yield "# HELP relay_lead_deliveries_total Delivery attempts by sink and resulting status."
        yield "# TYPE relay_lead_deliveries_total counter"
        outcomes = self.deliverer.outcomes if self.deliverer else {}
        for (sink, status), count in sorted(outcomes.items()):
            yield f'relay_lead_deliveries_total{{sink="{sink}",status="{status}"}} {count}'
        if self.outbox is not None:  # alert on dead > 0: a lead no sink took
            yield "# HELP relay_leads_outbox Sink rows in this replica's outbox, by status."
            yield "# TYPE relay_leads_outbox gauge"
            for status, count in self.outbox.counts().items():
                yield f'relay_leads_outbox{{status="{status}"}} {count}'


def desk_of(request: Request[Any, Any, Any]) -> LeadDesk:
    desk: LeadDesk = request.app.state[_APP_KEY]
    return desk


def install(app_state: Any, desk: LeadDesk) -> None:
    app_state[_APP_KEY] = desk


def _report(outcome: leads.Outcome) -> None:
    level = {"delivered": logging.INFO, "dead": logging.ERROR}.get(outcome.status, logging.WARNING)
    _log.event(
        level,
        f"lead_{'retry' if outcome.status == 'pending' else outcome.status}",
        lead=outcome.lead,
        sink=outcome.sink,
        attempt=outcome.attempt,
        detail=mask(outcome.detail),
    )


def _language(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].split(";")[0].strip()
    return first or None


def _invalid(message: str, fields: dict[str, str] | None = None) -> Response[Any]:
    body = {"error": {"code": "invalid_lead", "message": message, "fields": fields or {}}}
    return Response(body, status_code=400, media_type="application/json")


@post("/api/lead", status_code=202, summary="A visitor's contact for the CRM → 202 once kept")
async def lead(request: Request[Any, Any, Any]) -> Response[Any]:
    runtime: Runtime = runtime_of(request)
    desk = desk_of(request)
    config = runtime.config
    data = await read_json(request, runtime)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict):
        return refuse(400, "invalid_body", 'The body must be a JSON object like {"fields": {...}}.')
    if not origin_allowed(request, runtime):
        return refuse(403, "origin_not_allowed", "This origin may not use the chat.")
    limits = runtime.limits
    refused = await limits.check(limits.client(request))
    if refused is not None:
        return refused.response()
    spec = runtime.spec.spec
    if spec is None or desk.intake is None or desk.state is None:
        return refuse(503, "not_ready", "The assistant is starting; try again.", retry_after=5)
    form = spec.leads
    if form is None:
        return refuse(404, "leads_off", "This assistant does not take contact requests.")
    access = access_record(request.scope)
    access.kb_name = spec.name
    token, call_id = data.get("conversation"), data.get("call_id")
    if token is not None and not isinstance(token, str):
        return refuse(400, "invalid_body", '"conversation" must be the token string or null.')
    if call_id is not None and (not isinstance(call_id, str) or not token):
        return _invalid('"call_id" needs the conversation token of the answer that asked.')
    claims: Claims | None = None
    if token:
        try:
            claims = runtime.signer.verify(spec.name, token)
        except InvalidToken as exc:
            return refuse(400, exc.code, str(exc))
    if call_id is not None:
        pending = claims.pending if claims else None
        if pending is None or pending.call_id != call_id or pending.name != OFFER_CONTACT_FORM:
            return _invalid("This form is not the one the conversation is waiting for.")
        if pending.output is not None:
            return _invalid("This form was already answered.")
    language = _language(request)
    variant = claims.variant if claims else MAIN_VARIANT
    try:
        new = leads.make_lead(
            form,
            data.get("fields"),
            consent=data.get("consent"),
            kb_name=spec.name,
            channel="web",
            variant=variant,
            language=language,
            page=data.get("page"),
            conversation_id=claims.conversation_id if claims else None,
        )
    except leads.ConsentRequired as exc:
        return refuse(400, exc.code, str(exc))
    except leads.InvalidLead as exc:
        return _invalid(str(exc), exc.fields)
    state, intake = desk.state, desk.intake
    try:
        if call_id is not None:
            ttl = float(config.conversation_ttl)
            if not await asyncio.to_thread(state.put_new, _CALLS, call_id, new.id, ttl=ttl):
                return _invalid("This form was already answered.")
        try:
            await intake.submit((new, form.sinks))  # on disk (group commit) when it returns
        except BaseException:
            if call_id is not None:  # nothing kept: the form may be sent again
                with contextlib.suppress(StateError):
                    await asyncio.to_thread(state.delete, _CALLS, call_id)
            raise
    except (StateError, leads.LeadsError) as exc:
        _log.event(logging.ERROR, "lead_not_kept", error=str(exc))
        return refuse(503, "not_ready", "The relay cannot keep leads right now; try again.",
                      retry_after=5)  # fmt: skip
    desk.accepted += 1
    if desk.deliverer is not None:
        desk.deliverer.wake()
    _log.event(logging.INFO, "lead", lead=new.id, channel="web", variant=variant, kb_name=spec.name)
    body: dict[str, Any] = {"lead": new.id}
    if claims is not None and call_id is not None:
        body["conversation"] = saved_token(runtime.signer, claims, new.id)
    return Response(body, status_code=202, media_type="application/json")
