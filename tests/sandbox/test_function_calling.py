"""Function calling through the official SDK: the model calls ``offer_contact_form`` or
``request_handoff`` when the visitor asks for it (and the request offers it), streams the
call in the official event order, and a conversation or a response chain with an
unanswered call refuses new input as the live API does."""

from __future__ import annotations

import json
import re
from typing import Any

import openai
import pytest

from tests._spec import assert_valid
from tests.sandbox._seed import MODEL, file_search, seed
from tests.sandbox._seed_sse import stream
from tests.sandbox.test_responses_stream import SCHEMAS

_TEXT = {"type": ["string", "null"]}
CONTACT_FORM = {
    "type": "function",
    "name": "offer_contact_form",
    "description": "Show the visitor a form to leave their contact.",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {
            "prefill": {
                "type": "object",
                "properties": {"name": _TEXT, "phone": _TEXT, "email": _TEXT, "comment": _TEXT},
                "required": ["name", "phone", "email", "comment"],
                "additionalProperties": False,
            }
        },
        "required": ["prefill"],
        "additionalProperties": False,
    },
}
HANDOFF = {
    "type": "function",
    "name": "request_handoff",
    "description": "Hand the conversation to a person.",
    "strict": True,
    "parameters": {
        "type": "object",
        "properties": {"reason": {"type": "string"}},
        "required": ["reason"],
        "additionalProperties": False,
    },
}
BOTH = [CONTACT_FORM, HANDOFF]
CALL_SCHEMAS = {
    **SCHEMAS,
    "response.function_call_arguments.delta": "ResponseFunctionCallArgumentsDeltaEvent",
    "response.function_call_arguments.done": "ResponseFunctionCallArgumentsDoneEvent",
}


def _prefill(
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    return {"prefill": {"name": name, "phone": phone, "email": email, "comment": comment}}


def _only_call(response: Any) -> Any:
    [call] = response.output
    assert call.type == "function_call"
    assert call.status == "completed"
    assert call.id.startswith("fc_")
    assert call.call_id.startswith("call_")
    return call


@pytest.mark.parametrize(
    ("message", "arguments"),
    [
        ("Can you call me back?", _prefill(comment="Can you call me back")),
        ("Перезвоните мне, пожалуйста", _prefill(comment="Перезвоните мне, пожалуйста")),
        (
            "Хочу записаться на пробную тренировку",
            _prefill(comment="Хочу записаться на пробную тренировку"),
        ),
        (
            "My name is Anna, my number is +7 (917) 255-45-67",
            _prefill(name="Anna", phone="+7 (917) 255-45-67", comment="my number is"),
        ),
        ("anna@example.com", _prefill(email="anna@example.com")),
    ],
)
def test_contact_form_is_called_with_what_the_message_says(
    client: Any, message: str, arguments: dict[str, Any]
) -> None:
    raw = client.responses.with_raw_response.create(model=MODEL, input=message, tools=BOTH)
    assert_valid(raw.http_response.json(), "Response")
    response = raw.parse()
    assert response.status == "completed"
    call = _only_call(response)
    assert call.name == "offer_contact_form"
    assert json.loads(call.arguments) == arguments
    assert response.output_text == ""
    assert response.usage.output_tokens > 0


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("I want to talk to a human", "The visitor asked to talk to a person."),
        ("Позовите оператора", "Посетитель просит соединить его с человеком."),
        ("можно поговорить с живым человеком?", "Посетитель просит соединить его с человеком."),
    ],
)
def test_handoff_is_called_when_the_visitor_asks_for_a_person(
    client: Any, message: str, reason: str
) -> None:
    call = _only_call(client.responses.create(model=MODEL, input=message, tools=BOTH))
    assert (call.name, json.loads(call.arguments)) == ("request_handoff", {"reason": reason})


def test_only_an_offered_function_is_called(client: Any) -> None:
    vector_store_id = seed(client)
    tools = [*file_search(vector_store_id), CONTACT_FORM]
    # a person is asked for, but only the contact form is offered: an ordinary answer
    answered = client.responses.create(model=MODEL, input="Позовите оператора", tools=tools)
    assert [item.type for item in answered.output] == ["file_search_call", "message"]
    # nothing offered, or tool_choice none: never a call
    plain = client.responses.create(model=MODEL, input="Call me back please")
    assert [item.type for item in plain.output] == ["message"]
    held = client.responses.create(
        model=MODEL, input="Call me back please", tools=tools, tool_choice="none"
    )
    assert [item.type for item in held.output] == ["message"]
    # an ordinary question with the tools offered is answered, not turned into a call
    asked = client.responses.create(
        model=MODEL, input="How much is a monthly membership?", tools=tools
    )
    assert [item.type for item in asked.output] == ["file_search_call", "message"]


def test_the_call_streams_in_the_official_order(base_url: str, client: Any) -> None:
    http, events = stream(
        base_url, {"model": MODEL, "input": "Перезвоните мне: 8 917 255 45 67", "tools": BOTH}
    )
    assert http.status_code == 200
    for event in events:
        assert_valid(event, "ResponseStreamEvent")
        assert_valid(event, CALL_SCHEMAS[event["type"]])
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    types = " ".join(event["type"] for event in events)
    assert re.fullmatch(
        r"response\.created response\.in_progress response\.output_item\.added "
        r"(response\.function_call_arguments\.delta )+response\.function_call_arguments\.done "
        r"response\.output_item\.done response\.completed",
        types,
    ), types
    added, done = events[2], events[-2]
    assert added["item"] == {**done["item"], "status": "in_progress", "arguments": ""}
    arguments = done["item"]["arguments"]
    deltas = [e for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(e["delta"] for e in deltas) == arguments
    assert {(e["item_id"], e["output_index"]) for e in deltas} == {(added["item"]["id"], 0)}
    finished = events[-3]
    assert (finished["name"], finished["arguments"]) == ("offer_contact_form", arguments)
    assert json.loads(arguments)["prefill"]["phone"] == "8 917 255 45 67"
    assert events[-1]["response"]["output"] == [done["item"]]
    # the SDK's stream helper accumulates the same call
    with client.responses.stream(model=MODEL, input="talk to a human", tools=BOTH) as events_:
        final = events_.get_final_response()
    [call] = final.output
    assert call.parsed_arguments == {"reason": "The visitor asked to talk to a person."}


def _error(caught: pytest.ExceptionInfo[openai.BadRequestError]) -> dict[str, Any]:
    body = {"error": caught.value.body}
    assert_valid(body, "ErrorResponse")
    return body["error"]


def test_a_conversation_with_an_unanswered_call_refuses_new_input(client: Any) -> None:
    conversation = client.conversations.create()
    first = client.responses.create(
        model=MODEL, input="Call me back", tools=BOTH, conversation=conversation.id
    )
    call = _only_call(first)
    stored = client.conversations.items.list(conversation.id, order="asc").data
    assert [(item.type, item.status) for item in stored] == [
        ("message", "completed"),
        ("function_call", "completed"),
    ]
    assert (stored[1].call_id, stored[1].name, stored[1].arguments) == (
        call.call_id,
        "offer_contact_form",
        call.arguments,
    )
    # a client that sends the visitor's next message without the call's output
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODEL, input="Actually, what time do you open?", conversation=conversation.id
        )
    assert _error(caught) == {
        "message": f"No tool output found for function call {call.call_id}.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }
    assert len(client.conversations.items.list(conversation.id).data) == 2  # nothing added
    # the output with the next message answers it
    output = {
        "type": "function_call_output",
        "call_id": call.call_id,
        "output": '{"status": "saved"}',
    }
    second = client.responses.create(
        model=MODEL,
        input=[output, {"role": "user", "content": "Thanks!"}],
        tools=BOTH,
        conversation=conversation.id,
    )
    assert [item.type for item in second.output] == ["message"]
    stored = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.type for item in stored] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
        "message",
    ]
    assert (stored[2].call_id, stored[2].output, stored[2].status) == (
        call.call_id,
        '{"status": "saved"}',
        "completed",
    )


def test_a_call_recorded_with_items_create_needs_its_output_too(client: Any) -> None:
    conversation = client.conversations.create()
    client.conversations.items.create(
        conversation.id,
        items=[
            {"type": "message", "role": "user", "content": "Call me back"},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "offer_contact_form",
                "arguments": "{}",
            },
        ],
    )
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hello", conversation=conversation.id)
    assert _error(caught)["message"] == "No tool output found for function call call_1."


def test_previous_response_chain_with_a_pending_call(client: Any) -> None:
    first = client.responses.create(model=MODEL, input="Соедините с оператором", tools=BOTH)
    call = _only_call(first)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="Ау?", previous_response_id=first.id)
    assert _error(caught)["message"] == f"No tool output found for function call {call.call_id}."
    output = {"type": "function_call_output", "call_id": call.call_id, "output": "handed_off"}
    answered = client.responses.create(
        model=MODEL, input=[output], previous_response_id=first.id, tools=BOTH
    )
    assert answered.status == "completed"
    # further along the chain the call stays answered
    later = client.responses.create(model=MODEL, input="Спасибо", previous_response_id=answered.id)
    assert later.status == "completed"


def test_an_output_without_its_call_is_refused(client: Any) -> None:
    output = {"type": "function_call_output", "call_id": "call_nobody", "output": "saved"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input=[output, {"role": "user", "content": "hi"}])
    assert _error(caught) == {
        "message": "No tool call found for function call output with call_id call_nobody.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }
