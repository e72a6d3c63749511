"""Responses (not streamed) through the official SDK: the extractive answer, its citations,
retrieve/delete/input items, conversations, and the errors sent before any answer."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests._spec import assert_valid
from tests.sandbox._seed import DOCS, MODEL, file_search, seed


def _cited(response: Any) -> list[tuple[int, str]]:
    message = response.output[-1]
    return [(a.index, a.filename) for a in message.content[0].annotations]


def test_answer_quotes_the_knowledge_base_and_cites_it(client: Any) -> None:
    vector_store_id = seed(client)
    raw = client.responses.with_raw_response.create(
        model=MODEL,
        input="How much does a monthly membership cost?",
        instructions="Answer from the knowledge base.",
        tools=file_search(vector_store_id, max_num_results=4),
        metadata={"page": "/prices"},
        temperature=0.3,
    )
    body = raw.http_response.json()
    assert_valid(body, "Response")
    response = raw.parse()
    assert response.status == "completed"
    assert response.model == MODEL
    assert "5000 rubles" in response.output_text
    assert response.output_text in DOCS["prices.md"].replace("\n", " ")
    [(index, filename)] = _cited(response)
    assert filename == "prices.md"
    assert index == len(response.output_text)
    fs_call = response.output[0]
    assert fs_call.type == "file_search_call"
    assert fs_call.status == "completed"
    assert fs_call.queries == ["How much does a monthly membership cost?"]
    assert fs_call.results is None
    assert body["tools"] == [
        {
            "type": "file_search",
            "vector_store_ids": [vector_store_id],
            "max_num_results": 4,
            "ranking_options": {"ranker": "auto", "score_threshold": 0.0},
            "filters": None,
        }
    ]
    assert (body["metadata"], body["temperature"], body["instructions"]) == (
        {"page": "/prices"},
        0.3,
        "Answer from the knowledge base.",
    )
    usage = response.usage
    assert usage.output_tokens > 0
    assert usage.input_tokens > usage.output_tokens
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    again = client.responses.create(
        model=MODEL,
        input="How much does a monthly membership cost?",
        instructions="Answer from the knowledge base.",
        tools=file_search(vector_store_id, max_num_results=4),
    )
    assert (again.output_text, again.usage.total_tokens) == (
        response.output_text,
        usage.total_tokens,
    )


def test_two_passages_are_cited_where_each_ends(client: Any) -> None:
    vector_store_id = seed(client)
    response = client.responses.create(
        model=MODEL,
        input="What does a student pay, and when is the club open at weekends?",
        tools=file_search(vector_store_id),
    )
    text = response.output_text
    cited = _cited(response)
    assert {filename for _, filename in cited} == {"prices.md", "schedule.md"}
    for index, filename in cited:
        passage = text[:index].rsplit("\n\n", 1)[-1]
        assert passage in DOCS[filename].replace("\n", " ")


def test_include_results_and_retrieve_include(client: Any) -> None:
    vector_store_id = seed(client)
    response = client.responses.create(
        model=MODEL,
        input="Какой адрес клуба?",
        tools=file_search(vector_store_id),
        include=["file_search_call.results"],
    )
    results = response.output[0].results
    assert results
    assert results[0].filename == "contacts_ru.md"
    assert "Лесная" in results[0].text
    assert all(0 <= result.score <= 1 for result in results)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    plain = client.responses.create(
        model=MODEL, input="Какой адрес клуба?", tools=file_search(vector_store_id)
    )
    assert plain.output[0].results is None
    included = client.responses.retrieve(plain.id, include=["file_search_call.results"])
    assert included.output[0].results
    assert client.responses.retrieve(plain.id).output[0].results is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Do you have a tennis court?", "The knowledge base has no answer to this question."),
        ("Есть ли у вас теннисный корт?", "В базе знаний нет ответа на этот вопрос."),
    ],
)
def test_no_answer_in_the_question_language(client: Any, question: str, expected: str) -> None:
    vector_store_id = seed(client)
    response = client.responses.create(
        model=MODEL, input=question, tools=file_search(vector_store_id)
    )
    assert response.output_text == expected
    assert _cited(response) == []
    assert "language model" not in response.output_text


def test_without_file_search_it_says_it_only_uses_the_knowledge_base(client: Any) -> None:
    response = client.responses.create(model=MODEL, input="Who are you?")
    assert [item.type for item in response.output] == ["message"]
    assert "only from the knowledge base" in response.output_text
    russian = client.responses.create(model=MODEL, input="Кто ты?")
    assert "только по базе знаний" in russian.output_text


def test_tool_choice_none_echoes_the_tools_but_does_not_search(client: Any) -> None:
    vector_store_id = seed(client)
    response = client.responses.create(
        model=MODEL,
        input="How much is a single visit?",
        tools=file_search(vector_store_id),
        tool_choice="none",
    )
    assert response.tool_choice == "none"
    assert [tool.type for tool in response.tools] == ["file_search"]
    assert [item.type for item in response.output] == ["message"]
    assert "only from the knowledge base" in response.output_text


def test_retrieve_delete_and_input_items(client: Any) -> None:
    response = client.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "second"},
            {"role": "user", "content": [{"type": "input_text", "text": "third"}]},
        ],
    )
    fetched = client.responses.with_raw_response.retrieve(response.id).http_response.json()
    assert_valid(fetched, "Response")
    assert fetched["id"] == response.id
    assert fetched["status"] == "completed"

    page = client.responses.input_items.with_raw_response.list(response.id).http_response.json()
    assert_valid(page, "ResponseItemList")
    assert [item["content"][0]["text"] for item in page["data"]] == ["third", "second", "first"]
    ascending = client.responses.input_items.list(response.id, order="asc", limit=1)
    assert [item.content[0].text for item in ascending] == ["first", "second", "third"]

    deleted = client.responses.with_raw_response.delete(response.id).http_response.json()
    assert deleted == {"id": response.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(response.id)


def test_store_false_is_not_kept(client: Any) -> None:
    response = client.responses.create(model=MODEL, input="hello", store=False)
    assert response.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_max_output_tokens_makes_it_incomplete(client: Any) -> None:
    vector_store_id = seed(client)
    raw = client.responses.with_raw_response.create(
        model=MODEL,
        input="What are the opening hours of the club?",
        tools=file_search(vector_store_id),
        max_output_tokens=16,
    ).http_response.json()
    assert_valid(raw, "Response")
    assert raw["status"] == "incomplete"
    assert raw["incomplete_details"] == {"reason": "max_output_tokens"}
    assert raw["output"][-1]["status"] == "incomplete"
    assert raw["usage"]["output_tokens"] <= 16


def test_two_turn_conversation_sees_the_first_turn(client: Any) -> None:
    vector_store_id = seed(client)
    conversation = client.conversations.create(metadata={"kb": "test"})
    first = client.responses.create(
        model=MODEL,
        input="How much is a single visit?",
        tools=file_search(vector_store_id),
        conversation=conversation.id,
    )
    assert first.conversation.id == conversation.id
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [item.type for item in items] == ["message", "file_search_call", "message"]
    assert [getattr(item, "role", None) for item in items] == ["user", None, "assistant"]
    assert items[2].content[0].text == first.output_text

    second = client.responses.create(
        model=MODEL,
        input="Сколько стоит полотенце?",
        tools=file_search(vector_store_id),
        conversation={"id": conversation.id},
    )
    assert "бесплатно" in second.output_text
    alone = client.responses.create(
        model=MODEL, input="Сколько стоит полотенце?", tools=file_search(vector_store_id)
    )
    assert alone.output_text == second.output_text
    assert second.usage.input_tokens > alone.usage.input_tokens
    page = client.conversations.items.with_raw_response.list(
        conversation.id, include=["file_search_call.results"]
    ).http_response.json()
    assert_valid(page, "ConversationItemList")
    assert len(page["data"]) == 6
    assert page["data"][1]["type"] == "file_search_call"
    assert page["data"][1]["results"]
    input_items = client.responses.input_items.list(second.id).data
    assert [item.content[0].text for item in input_items] == ["Сколько стоит полотенце?"]


def test_previous_response_id_chains_context(client: Any) -> None:
    first = client.responses.create(model=MODEL, input="one two three")
    second = client.responses.create(model=MODEL, input="four", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert second.usage.input_tokens > first.usage.input_tokens


def test_errors_before_the_answer(client: Any) -> None:
    vector_store_id = seed(client)
    with pytest.raises(openai.NotFoundError) as caught:  # the live API: 404 model_not_found
        client.responses.create(model="gpt-0-imaginary", input="hi")
    assert (caught.value.code, caught.value.param) == ("model_not_found", "model")
    assert_valid({"error": caught.value.body}, "ErrorResponse")
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="hi", conversation="conv_missing")
    conversation = client.conversations.create()
    first = client.responses.create(model=MODEL, input="hi")
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model=MODEL, input="hi", conversation=conversation.id, previous_response_id=first.id
        )
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="hi", previous_response_id="resp_missing")
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=MODEL, input="hi", tools=file_search("vs_missing"))
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", temperature=5)
    assert caught.value.param == "temperature"
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model=MODEL, input="hi", tools=file_search(vector_store_id, max_num_results=500)
        )
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", extra_body={"colour": "blue"})
    assert caught.value.param == "colour"
    assert client.conversations.items.list(conversation.id).data == []


@pytest.mark.anyio
async def test_async_create_retrieve_delete(aclient: Any) -> None:
    response = await aclient.responses.create(model=MODEL, input="hello")
    assert (await aclient.responses.retrieve(response.id)).id == response.id
    items = [item async for item in aclient.responses.input_items.list(response.id)]
    assert [item.content[0].text for item in items] == ["hello"]
    await aclient.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        await aclient.responses.retrieve(response.id)
