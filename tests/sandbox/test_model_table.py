"""The default model table: kbsync's own (one source of truth), served with each model's
rules; the requests a naive client sends are refused in the live API's words."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from kbcore.models import current
from sandbox._model_table import default_table
from testing.sandbox import sandbox_call
from testing.servers import Server
from tests._spec import assert_valid


def test_the_default_table_is_kbsyncs_model_table(sandbox: Server) -> None:
    served = sandbox_call(sandbox, "GET", "/_sandbox/models")["models"]
    assert served == [model.entry() for model in current()]
    assert [m.table_entry() for m in default_table()] == [m.entry() for m in current()]


def _refused(call: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    assert_valid({"error": caught.value.body}, "ErrorResponse")
    return caught.value


def test_minimal_on_gpt_5_1_and_later_is_unsupported_value(client: Any) -> None:
    for model in ("gpt-5.1", "gpt-5.4-mini"):
        error = _refused(
            lambda m=model: client.responses.create(
                model=m, input="hi", reasoning={"effort": "minimal"}
            )
        )
        assert (error.code, error.param) == ("unsupported_value", "reasoning.effort")
    assert error.body["message"] == (
        "Unsupported value: 'minimal' is not supported with the 'gpt-5.4-mini' model. "
        "Supported values are: 'none', 'low', 'medium', 'high', and 'xhigh'."
    )
    done = client.responses.create(model="gpt-5-mini", input="hi", reasoning={"effort": "minimal"})
    assert done.reasoning.effort == "minimal"


def test_any_effort_on_gpt_4_1_is_unsupported_parameter(client: Any) -> None:
    error = _refused(
        lambda: client.responses.create(model="gpt-4.1", input="hi", reasoning={"effort": "low"})
    )
    assert (error.code, error.param) == ("unsupported_parameter", "reasoning.effort")
    assert error.body["message"] == (
        "Unsupported parameter: 'reasoning.effort' is not supported with this model."
    )


def test_sampling_on_gpt_5_1_and_later_only_with_effort_none(client: Any) -> None:
    # the naive request: a temperature with some thinking
    error = _refused(
        lambda: client.responses.create(
            model="gpt-5.4-mini", input="hi", temperature=0.3, reasoning={"effort": "low"}
        )
    )
    assert (error.code, error.param) == ("unsupported_parameter", "temperature")
    error = _refused(
        lambda: client.responses.create(
            model="gpt-5.2", input="hi", top_p=0.5, reasoning={"effort": "high"}
        )
    )
    assert (error.code, error.param) == ("unsupported_parameter", "top_p")
    for effort in ({"effort": "none"}, openai.omit):  # none is their default
        done = client.responses.create(
            model="gpt-5.4-mini", input="hi", temperature=0.3, reasoning=effort
        )
        assert (done.status, done.reasoning.effort) == ("completed", "none")


def test_sampling_on_gpt_5_is_never_accepted(client: Any) -> None:
    for effort in ({"effort": "minimal"}, openai.omit):
        error = _refused(
            lambda e=effort: client.responses.create(
                model="gpt-5-mini", input="hi", temperature=0.3, reasoning=e
            )
        )
        assert (error.code, error.param) == ("unsupported_parameter", "temperature")
    assert client.responses.create(model="gpt-4.1", input="hi", temperature=0.3).output_text


def test_max_output_tokens_under_16_is_refused(client: Any) -> None:
    error = _refused(
        lambda: client.responses.create(model="gpt-4.1", input="hi", max_output_tokens=10)
    )
    assert (error.code, error.param) == ("integer_below_min_value", "max_output_tokens")
    assert error.body["message"] == (
        "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, "
        "but got 10 instead."
    )
    assert client.responses.create(model="gpt-4.1", input="hi", max_output_tokens=16).id


def test_shutdown_dates_are_served_and_retired_ids_are_gone(client: Any) -> None:
    raw = client.models.with_raw_response.retrieve("gpt-5-mini").http_response.json()
    assert_valid(raw, "Model")
    assert raw["shutdown_date"] == "2026-12-11"
    assert client.models.retrieve("gpt-5.4-mini").model_dump().get("shutdown_date") is None
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4.1-nano")
    assert caught.value.code == "model_not_found"
    assert "gpt-4.1-nano" not in {model.id for model in client.models.list()}


def test_a_posted_table_takes_the_rules(sandbox: Server, client: Any) -> None:
    entry = {
        "id": "gpt-test",
        "reasoning": True,
        "efforts": ["none", "high"],
        "sampling": "effort_none",
        "shutdown_date": "2027-01-01",
    }
    shown = sandbox_call(sandbox, "POST", "/_sandbox/models", {"models": [entry]})
    assert shown == {"models": [{**entry, "context_tokens": 16000}]}
    assert client.models.retrieve("gpt-test").model_dump()["shutdown_date"] == "2027-01-01"
    assert client.responses.create(model="gpt-test", input="hi", temperature=0.5).id
    error = _refused(
        lambda: client.responses.create(model="gpt-test", input="hi", reasoning={"effort": "low"})
    )
    assert error.code == "unsupported_value"
