"""Function calling: when the sandbox's model calls a function the request offers, and
the rule that calls and their outputs must pair up.

The model knows two functions by name and calls one only when the request offers it
(``tools: [{"type": "function", "name", "parameters", "strict"}]``) and the visitor's new
message asks for it:

- ``request_handoff`` with ``{"reason"}`` when the message asks for a person ("talk to a
  human", "позовите оператора", "живой человек");
- ``offer_contact_form`` with ``{"prefill": {"name", "phone", "email", "comment"}}`` when
  it asks to be called back or to sign up, or gives a phone number or an e-mail
  ("call me back", "перезвоните", "хочу записаться"); the prefill holds what the message
  says (under a strict schema every listed key is sent, ``null`` when not said).

A call ends the turn: the output is the ``function_call`` item alone. As upstream, the
next input must carry its ``function_call_output`` (``call_id``, ``output``): a request
whose history (conversation or ``previous_response_id`` chain) plus input holds a call
without an output is refused with 400 "No tool output found for function call <call_id>.",
and an output without its call with 400 "No tool call found for function call output
with call_id <call_id>." (both ``invalid_request_error``, ``param: "input"``, ``code: null``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sandbox._errors import ApiError
from sandbox._items import item_text
from sandbox._state import JSON, new_id

CONTACT_FORM = "offer_contact_form"
HANDOFF = "request_handoff"
ARGUMENT_CHARS_PER_DELTA = 12

_PERSON = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an?\s+|the\s+|your\s+)?"
    r"(?:human|person|real person|live person|operator|manager|agent|someone)\b"
    r"|\b(?:real|live)\s+(?:person|human|agent)\b|\bhuman\s+(?:being|agent)\b"
    r"|\boperator\b"
    r"|оператор|живой человек|живым человеком|живого человека"
    r"|позовите (?:человека|менеджера|администратора)|соедините с",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\bcall\s+me\b|\bcall\s*-?\s*back\b|\bring\s+me\b|\b(?:contact|reach)\s+me\b"
    r"|\bsign(?:ing)?\s+(?:me\s+)?up\b|\b(?:want|like|love)\s+to\s+(?:join|book|enrol|enroll|register)\b"
    r"|перезвон|позвоните мне|свяжитесь со мной|наберите мне"
    r"|(?:хочу|хотел[аи]?\s+бы|можно)\s+записаться|запишите меня|оставить заявку",
    re.IGNORECASE,
)
# a Russian or international number: "+7 (843) 212-45-67", "8 917 255 45 67", "9172554567"
_PHONE = re.compile(r"(?:\+\d|\b[789])(?:[\s\-()]*\d){9,13}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(r"\b(?:my name is|меня зовут)\s+([A-ZА-ЯЁ][\w-]+)", re.IGNORECASE)
_REASON = {
    "en": "The visitor asked to talk to a person.",
    "ru": "Посетитель просит соединить его с человеком.",
}


@dataclass(frozen=True)
class Call:
    name: str
    arguments: str  # a JSON object, as the function's parameters describe it


def function_tools(tools: list[JSON]) -> dict[str, JSON]:
    """The request's function tools by name."""
    return {str(t["name"]): t for t in tools if t.get("type") == "function" and "name" in t}


def decide(tools: list[JSON], tool_choice: Any, input_items: list[JSON]) -> Call | None:
    """The call the model makes for this request's input, if any (only on a new message
    from the visitor, and never with ``tool_choice: "none"``)."""
    offered = function_tools(tools)
    message = _new_message(input_items)
    if not offered or tool_choice == "none" or message is None:
        return None
    forced = tool_choice.get("name") if isinstance(tool_choice, dict) else None
    if HANDOFF in offered and (forced == HANDOFF or (forced is None and _PERSON.search(message))):
        return Call(HANDOFF, json.dumps({"reason": _REASON[_language(message)]}))
    wants_contact = _CONTACT.search(message) or _PHONE.search(message) or _EMAIL.search(message)
    if CONTACT_FORM in offered and (forced == CONTACT_FORM or (forced is None and wants_contact)):
        prefill = _prefill(message, offered[CONTACT_FORM])
        return Call(CONTACT_FORM, json.dumps({"prefill": prefill}, ensure_ascii=False))
    return None


def call_item(call: Call) -> JSON:
    """The ``function_call`` output item as ``response.output_item.added`` shows it."""
    return {
        "id": new_id("fc"),
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": new_id("call"),
        "name": call.name,
    }


def argument_deltas(arguments: str) -> list[str]:
    return [
        arguments[i : i + ARGUMENT_CHARS_PER_DELTA]
        for i in range(0, len(arguments), ARGUMENT_CHARS_PER_DELTA)
    ]


def check_paired(history: list[JSON], input_items: list[JSON]) -> None:
    """Refuse, as upstream does, an input that leaves a call of the history without its
    output, or that answers a call nobody made."""
    items = [*history, *input_items]
    calls = [str(i["call_id"]) for i in items if i.get("type") == "function_call"]
    answered = {str(i.get("call_id")) for i in items if i.get("type") == "function_call_output"}
    for item in input_items:
        if item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            raise ApiError(
                400,
                f"No tool call found for function call output with call_id {item.get('call_id')}.",
                param="input",
            )
    for call_id in calls:
        if call_id not in answered:
            raise ApiError(400, f"No tool output found for function call {call_id}.", param="input")


def _new_message(input_items: list[JSON]) -> str | None:
    for item in reversed(input_items):
        if item.get("type") == "message" and item.get("role") == "user":
            return item_text(item)
    return None


def _language(text: str) -> str:
    return "ru" if re.search(r"[а-яё]", text, re.IGNORECASE) else "en"


def _prefill(message: str, tool: JSON) -> dict[str, str | None]:
    phone = _PHONE.search(message)
    email = _EMAIL.search(message)
    name = _NAME.search(message)
    rest = message
    for found in (phone, email, name):
        if found is not None:
            rest = rest.replace(found.group(0), " ")
    comment = re.sub(r"\s+", " ", rest).strip(" ,.;:!?-—")
    said: dict[str, str | None] = {
        "name": name.group(1) if name else None,
        "phone": phone.group(0).strip() if phone else None,
        "email": email.group(0) if email else None,
        "comment": comment or None,
    }
    listed = ((tool.get("parameters") or {}).get("properties") or {}).get("prefill") or {}
    keys = list((listed.get("properties") or {}) or said)
    if tool.get("strict"):
        return {key: said.get(key) for key in keys}  # strict: every key, null when not said
    return {key: said[key] for key in keys if said.get(key) is not None}
