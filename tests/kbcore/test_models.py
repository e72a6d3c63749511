"""The model table in kb/assistant.yaml: what a model would refuse is refused offline,
with the line to fix; the example KB and the README's example pass on a current model."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbcore._settings import parse_settings
from kbcore.models import current, model_info, shutdown_warning, unknown_model
from kbsync.cli import main
from tests.kbcore._kb_trees import make_kb

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("yaml", "line", "message"),
    [
        (
            "model: gpt-5.1\nreasoning:\n  effort: minimal\n",
            "3",
            "model gpt-5.1 refuses reasoning.effort minimal; use one of: none, low, medium, high.",
        ),
        (
            "model: gpt-4.1\nreasoning:\n  effort: low\n",
            "3",
            "model gpt-4.1 does not reason, so it refuses reasoning.effort; remove it or choose"
            " a reasoning model.",
        ),
        (
            "model: gpt-5-mini\ntemperature: 0.3\n",
            "2",
            "model gpt-5-mini refuses temperature (it reasons and takes only the default, 1);"
            " remove temperature or change the model.",
        ),
        (
            "temperature: 0.3\nreasoning:\n  effort: low\n",
            "1",
            "model gpt-5.4-mini accepts temperature only with reasoning.effort none, not low;"
            " remove temperature or change the model.",
        ),
        (
            "model: gpt-4.1-nano\n",
            "1",
            "model gpt-4.1-nano was shut down on 2026-10-23; use gpt-5.4-nano.",
        ),
        (
            "max_output_tokens: 10\n",
            "1",
            "max_output_tokens must be a whole number of at least 16, not 10.",
        ),
    ],
)
def test_what_the_model_refuses_is_refused_at_its_line(
    tmp_path: Path, yaml: str, line: str, message: str
) -> None:
    path = tmp_path / "assistant.yaml"
    path.write_text(yaml)
    problems = parse_settings(path, "kb").problems
    assert len(problems) == 1
    _, found_line, text = problems[0].split(":", 2)
    assert (found_line, text.strip()) == (line, message)


@pytest.mark.parametrize(
    "yaml",
    [
        "model: gpt-5.4-mini\ntemperature: 0.3\n",  # effort none is its default
        "model: gpt-5.4\ntemperature: 0.3\nreasoning:\n  effort: none\n",
        "model: gpt-5-nano\nreasoning:\n  effort: minimal\n",
        "model: gpt-5.2\nreasoning:\n  effort: xhigh\n",
        "model: gpt-4o-mini\ntemperature: 1.5\nmax_output_tokens: 16\n",
        "model: some-future-model\nreasoning:\n  effort: minimal\ntemperature: 0.2\n",
    ],
)
def test_what_the_model_takes_passes(tmp_path: Path, yaml: str) -> None:
    path = tmp_path / "assistant.yaml"
    path.write_text(yaml)
    assert parse_settings(path, "kb").problems == []


def test_the_example_kb_and_the_readme_pass_on_a_current_model() -> None:
    example = parse_settings(ROOT / "kb" / "assistant.yaml", "kb")
    assert example.problems == []
    path = ROOT / "docs" / "editors.md"
    readme = path.read_text()
    block = re.search(r"#+ `kb/assistant.yaml`.*?```yaml\n(.*?)```", readme, re.S)
    assert block is not None
    scratch = path.with_name(".readme-assistant.yaml")
    try:
        scratch.write_text(block[1])
        shown = parse_settings(scratch, "kb")
    finally:
        scratch.unlink()
    assert shown.problems == []
    today = dt.date(2026, 12, 6)
    for settings in (example.settings, shown.settings):
        info = model_info(settings.model)
        assert info is not None
        assert info in current(today)
        assert shutdown_warning(settings.model, today) is None


def test_warnings_for_an_unknown_model_and_a_near_shutdown() -> None:
    assert unknown_model("gpt-5.4-mini") is None
    assert unknown_model("gpt-9") == (
        "model gpt-9 is not in kbsync's model table, so its parameters are not checked"
        " offline; kbsync check tries them live."
    )
    assert shutdown_warning("gpt-5-mini", dt.date(2026, 12, 6)) == (
        "model gpt-5-mini shuts down on 2026-12-11 (in 5 days); move to gpt-5.4-mini in"
        " kb/assistant.yaml."
    )
    assert shutdown_warning("gpt-5-mini", dt.date(2026, 10, 11)) is None  # 61 days away
    assert shutdown_warning("gpt-5-mini", dt.date(2026, 10, 12)) is not None  # 60
    assert shutdown_warning("gpt-5.4-mini", dt.date(2026, 12, 6)) is None


def test_retired_models_leave_the_current_table() -> None:
    ids = {model.id for model in current(dt.date(2026, 12, 6))}
    assert {"gpt-5-mini", "gpt-5.4-mini", "gpt-4.1"} <= ids
    assert "gpt-4.1-nano" not in ids
    assert "gpt-5-mini" not in {model.id for model in current(dt.date(2026, 12, 11))}


def test_kbsync_validate_refuses_at_the_line_and_warns_for_an_unknown_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_DIR", raising=False)
    make_kb(tmp_path, {"a.md": "alpha"}, settings="model: gpt-5.1\nreasoning:\n  effort: minimal\n")
    refused = CliRunner().invoke(main, ["validate"])
    assert refused.exit_code == 1
    assert (
        "kb/assistant.yaml:3: model gpt-5.1 refuses reasoning.effort minimal; use one of:"
        " none, low, medium, high." in refused.stderr
    )
    (tmp_path / "kb" / "assistant.yaml").write_text("model: gpt-9-preview\n")
    warned = CliRunner().invoke(main, ["validate"])
    assert warned.exit_code == 0, warned.output
    assert warned.stderr == (
        "warning: kb/assistant.yaml: model gpt-9-preview is not in kbsync's model table, so"
        " its parameters are not checked offline; kbsync check tries them live.\n"
    )
    assert warned.stdout.startswith("kb/ is valid: 1 document")
