"""What the widget learns about the KB from ``GET /api/ping`` (its ``widget`` object).

The widget is one static script, pinned by its hash, so nothing about a KB can be baked
into it; it asks once when it loads and keeps the answer. Only what a visitor may see
goes here (starter questions today; the lead form and hand-off add their keys).
"""

from __future__ import annotations

from typing import Any

from kbcore.kb import AssistantSpec


def widget_settings(spec: AssistantSpec) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if spec.starters is not None:
        settings["starters"] = {lang: list(qs) for lang, qs in spec.starters.by_lang.items()}
    if (leads := spec.leads) is not None:  # the "Leave a request" form, as lead_form sends it
        settings["leads"] = {
            "fields": list(leads.fields),
            "required": list(leads.required),
            "consent": dict(leads.consent.by_lang),
            "privacy_url": leads.privacy_url,
        }
    if spec.handoff is not None:  # the "Talk to a person" button
        settings["handoff"] = True
    return settings
