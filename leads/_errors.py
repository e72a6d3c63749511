"""The lead engine's branch of the exception tree (rooted in ``kbcore.errors``)."""

from __future__ import annotations

from collections.abc import Mapping

from kbcore.errors import KbsyncError


class LeadsError(KbsyncError):
    """An expected failure of lead capture or delivery."""


class InvalidLead(LeadsError):
    """The visitor's fields do not make a lead; ``fields`` maps each bad field to why."""

    code = "invalid_lead"

    def __init__(self, message: str, fields: Mapping[str, str]) -> None:
        super().__init__(message)
        self.fields = dict(fields)


class ConsentRequired(LeadsError):
    """The visitor did not accept the consent text."""

    code = "consent_required"


class OutboxError(LeadsError):
    """The outbox cannot be written (nothing was kept): the message names the file."""


class SinkConfigError(LeadsError):
    """A sink is listed but its environment is incomplete; the message names the variable."""


class SinkRetry(LeadsError):
    """The sink failed in a way that may pass (5xx, 408, 429, timeout, a cut connection).

    ``after`` is the wait the sink asked for (``Retry-After``), if any."""

    def __init__(self, message: str, *, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class SinkRefused(LeadsError):
    """The sink refused the lead for good (a 4xx other than 408/429): retrying cannot help."""
