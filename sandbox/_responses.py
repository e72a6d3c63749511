"""Responses: create (streamed or not), retrieve, delete, input items.

Everything that can be refused is refused before the stream starts, as plain JSON
errors (even with ``stream: true``); the run itself is in ``_run.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, delete, get, post

from sandbox._errors import ApiError, bad_request, not_found
from sandbox._faults import Fault, faults_of
from sandbox._http import json_body
from sandbox._items import includes, last_user_text, present, to_items
from sandbox._model_rules import check_parameters, effort, fit_context, reasoning_tokens
from sandbox._model_table import Model
from sandbox._models import model_of
from sandbox._pagination import items_page, list_query
from sandbox._response_object import new_response, show
from sandbox._run import Run
from sandbox._schema import validate_body
from sandbox._sse import CutResponse, EventStream
from sandbox._state import JSON, Store, store_of
from sandbox._tools import check_paired, decide
from sandbox._vector_stores import check_not_expired

MAX_NUM_RESULTS = 50


@post("/v1/responses", status_code=200)
async def create_response(request: Request[Any, Any, Any]) -> Response[Any]:
    store = store_of(request)
    body = await json_body(request)
    validate_body("CreateResponse", body)
    model = _model(request, body.get("model"))
    check_parameters(model, body)
    conversation_id = _conversation_id(store, body)
    input_items = to_items(body.get("input", []))
    history = _context(store, body, conversation_id)
    check_paired(history, input_items)
    context = fit_context(model, body, history, input_items)
    tool = _file_search_tool(store, body.get("tools") or [])
    if body.get("tool_choice") == "none":
        tool = None  # the tools are echoed but not called
    response = new_response(body, conversation_id=conversation_id, effort=effort(model, body))
    streaming = body.get("stream") is True
    dealt = faults_of(request)
    run = Run(
        store,
        response,
        context=context,
        input_items=input_items,
        question=last_user_text([*context, *input_items]),
        tool=tool,
        call=decide(body.get("tools") or [], body.get("tool_choice"), input_items),
        delay_s=dealt.config.token_delay_ms / 1000 if streaming else 0.0,
        fault=dealt.picked if streaming or (dealt.picked and dealt.picked.shapes_answer) else None,
        context_tokens=model.context_tokens,
        reasoning_tokens=reasoning_tokens(model, body),
    )
    if dealt.picked is Fault.STREAM_ERROR and not streaming:
        message = "The server had an error while processing your request (sandbox fault)."
        raise ApiError(500, message, type="server_error", code="server_error")
    # everything that can be refused has been: from here the conversation is busy
    release = lock_conversation(store, conversation_id, response["id"])
    if streaming:
        return EventStream(run.events(), store, on_close=release)
    try:
        async for _ in run.events():
            pass
    finally:
        release()
    if dealt.picked is Fault.DROP:
        return CutResponse(b"")
    return Response(show(response), status_code=200)


def lock_conversation(
    store: Store, conversation_id: str | None, response_id: str
) -> Callable[[], None]:
    """Mark the conversation busy until the returned function is called; 400
    ``conversation_locked`` (upstream's words) while another response runs on it."""
    if conversation_id is None:
        return lambda: None
    running = store.runtime.running
    if conversation_id in running:
        raise ApiError(
            400,
            "Another process is currently operating on this conversation. Please retry in a "
            "few seconds.",
            param="conversation",
            code="conversation_locked",
        )
    running[conversation_id] = response_id

    def release() -> None:
        if running.get(conversation_id) == response_id:
            del running[conversation_id]

    return release


@get("/v1/responses/{response_id:str}")
async def retrieve_response(request: Request[Any, Any, Any], response_id: str) -> JSON:
    return show(_response(store_of(request), response_id), includes(request))


@delete("/v1/responses/{response_id:str}", status_code=200)
async def delete_response(request: Request[Any, Any, Any], response_id: str) -> JSON:
    store = store_of(request)
    _response(store, response_id)
    del store.responses[response_id]
    store.response_input_items.pop(response_id, None)
    store.changed()
    return {"id": response_id, "object": "response", "deleted": True}


@get("/v1/responses/{response_id:str}/input_items")
async def list_input_items(request: Request[Any, Any, Any], response_id: str) -> JSON:
    store = store_of(request)
    _response(store, response_id)
    include = includes(request)
    return items_page(
        store.response_input_items.get(response_id, []),
        lambda item: present(item, include),
        list_query(request.query_params),
    )


def _response(store: Store, response_id: str) -> JSON:
    found = store.responses.get(response_id)
    if found is None:
        raise ApiError(404, f"Response with id '{response_id}' not found.", param="response_id")
    return found


def _model(request: Request[Any, Any, Any], model_id: Any) -> Model:
    if model_id is None:
        raise ApiError(
            400,
            "Missing required parameter: 'model'.",
            param="model",
            code="missing_required_parameter",
        )
    return model_of(request, str(model_id), param="model")


def _conversation_id(store: Store, body: JSON) -> str | None:
    conversation = body.get("conversation")
    if conversation is None:
        return None
    if body.get("previous_response_id"):
        raise bad_request(
            "Cannot use both 'previous_response_id' and 'conversation' in the same request.",
            param="conversation",
        )
    conversation_id = conversation if isinstance(conversation, str) else conversation["id"]
    if conversation_id not in store.conversations:
        raise ApiError(
            404, f"Conversation with id '{conversation_id}' not found.", param="conversation"
        )
    return str(conversation_id)


def _context(store: Store, body: JSON, conversation_id: str | None) -> list[JSON]:
    """The items that come before this request's input (conversation or response chain)."""
    if conversation_id is not None:
        return list(store.conversation_items.get(conversation_id, []))
    chain: list[JSON] = []
    previous = body.get("previous_response_id")
    while previous:
        response = store.responses.get(previous)
        if response is None:
            raise ApiError(
                404,
                f"Previous response with id '{previous}' not found.",
                param="previous_response_id",
            )
        chain = [*store.response_input_items.get(previous, []), *response["output"], *chain]
        previous = response.get("previous_response_id")
    return chain


def _file_search_tool(store: Store, tools: list[JSON]) -> JSON | None:
    for position, tool in enumerate(tools):
        if tool.get("type") != "file_search":
            continue
        count = tool.get("max_num_results", 20)
        if not 1 <= count <= MAX_NUM_RESULTS:
            raise bad_request(
                f"Invalid 'tools[{position}].max_num_results': expected 1 to {MAX_NUM_RESULTS}.",
                param=f"tools[{position}].max_num_results",
            )
        for vector_store_id in tool.get("vector_store_ids", []):
            if vector_store_id not in store.vector_stores:
                raise not_found("vector store", vector_store_id)
            where = f"tools[{position}].vector_store_ids"
            check_not_expired(store, vector_store_id, where)
        return tool
    return None


ROUTES: list[Any] = [create_response, retrieve_response, delete_response, list_input_items]
