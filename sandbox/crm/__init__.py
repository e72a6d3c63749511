"""Fakes of the CRMs a lead goes to: a signed webhook receiver, Bitrix24, amoCRM and
HubSpot, each with its service's request and error shapes, each able to fail on demand
(500, 400, timeout, a lost reply) and each showing what it received."""

from __future__ import annotations

from typing import Any

from sandbox.crm import _amocrm, _bitrix24, _control, _hubspot, _webhook
from sandbox.crm._state import FAKES, KINDS, CrmState

ROUTES: list[Any] = [
    _webhook.webhook,
    _bitrix24.bitrix24,
    _amocrm.leads,
    _amocrm.leads_complex,
    _hubspot.objects,
    _control.received,
    _control.get_faults,
    _control.set_faults,
]

__all__ = ["FAKES", "KINDS", "ROUTES", "CrmState"]
