"""``kbsync check``: prove in a minute that this KB's spec works on the configured API.

Four steps, each timed, each stopping the run when it fails:

1. **key and model**: ``GET /models/{model}`` answers for this key (a warning when the
   model shuts down within 60 days, by ``kbcore.models`` or the date the API gives);
2. **parameters**: one small Responses request with the spec's exact parameters and no
   tools (``answer.ask.probe``): a parameter the model refuses is named, with the API's
   own message;
3. **vector store**: a temporary store ``kb:<name>#check-<random>`` (metadata
   ``kb_name`` and ``kb_preview: check``, expiring a day after its last activity) with
   one tiny uploaded document, processed (a File too young for vector stores to know is
   waited out, as a sync does);
4. **file_search answer**: the relay's own streamed request (``answer.ask.ask``) on that
   store must cite the document.

Everything the check created is deleted before it exits, on success, on failure and on
Ctrl-C (``_scratch``). It never reads or writes the KB's own store: the temporary store's
``kb_preview`` key keeps it out of ``kbcore.store``'s choice meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from answer.ask import ParameterRefused, ask, probe
from kbcore.errors import KbsyncError
from kbcore.kb import AssistantSpec, load_spec
from kbcore.models import shutdown_warning
from kbcore.output import display_url, info, result, warn
from kbsync._scratch import ScratchStore
from sync import Remote

MODEL = "key and model"
PARAMETERS = "parameters"
STORE = "vector store"
ANSWER = "file_search answer"
STEPS = (MODEL, PARAMETERS, STORE, ANSWER)


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    ms: int
    detail: str


class CheckFailed(KbsyncError):
    """A step failed: the one line ``exit_with`` prints."""


def check(kb_dir: Path, *, as_json: bool = False) -> int:
    """Run the steps; exit code 0 when all passed (a failure raises ``CheckFailed``)."""
    spec = load_spec(kb_dir)
    steps: list[Step] = []

    def record(step: Step) -> None:
        steps.append(step)
        if not as_json:
            result(_line(step))

    remote: Remote | None = None

    def key_and_model() -> str:
        nonlocal remote
        remote = Remote.from_env()
        if not as_json:
            info(f"Checking knowledge base {spec.name} on {display_url(remote.base_url)}.")
        announced = remote.check_model(spec.model)
        soon = shutdown_warning(spec.model, announced=announced)
        if soon is not None:
            warn(soon)
            return f"model {spec.model} is available to this key, but {soon}"
        return f"model {spec.model} is available to this key"

    started = time.perf_counter()
    scratch: ScratchStore | None = None
    try:
        _run(MODEL, record, key_and_model)
        assert remote is not None
        with ScratchStore(remote, spec.name) as scratch:
            _run(PARAMETERS, record, lambda: _parameters(spec))
            _run(STORE, record, scratch.build)
            _run(ANSWER, record, lambda: _answer(spec, scratch))
    except _Stop:
        pass
    finally:
        if remote is not None:
            remote.close()
    failed = next((step for step in steps if not step.ok), None)
    if as_json:
        document = {"ok": failed is None, "steps": [asdict(step) for step in steps]}
        result(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for name in STEPS[len(steps) :]:
            result(f"  skip  {name}")
    if failed is not None:
        raise CheckFailed(f"kbsync check failed at step {failed.name!r}: {failed.detail}")
    if not as_json:
        seconds = time.perf_counter() - started
        after = "see the warning above" if scratch and scratch.left else "nothing is left behind"
        result(f"All {len(steps)} checks passed in {seconds:.1f} s; {after}.")
    return 0


class _Stop(Exception):
    """A step failed; the steps after it are skipped."""


def _run(name: str, record: Callable[[Step], None], body: Callable[[], str]) -> None:
    started = time.perf_counter()
    try:
        detail, ok = body(), True
    except KbsyncError as error:
        detail, ok = str(error), False
    record(Step(name, ok, round((time.perf_counter() - started) * 1000), detail))
    if not ok:
        raise _Stop


def _line(step: Step) -> str:
    return f"  {'ok  ' if step.ok else 'FAIL'}  {step.name:<20} {step.ms:>6} ms  {step.detail}"


def _parameters(spec: AssistantSpec) -> str:
    try:
        asyncio.run(probe(spec))
    except ParameterRefused as refused:
        raise KbsyncError(
            f"model {spec.model} refused the parameter {refused.param!r} "
            f"({refused.message}); change or remove it in kb/assistant.yaml."
        ) from refused
    return f"{spec.model} accepts {_parameters_sent(spec)}"


def _parameters_sent(spec: AssistantSpec) -> str:
    sent = ["instructions"]
    if spec.temperature is not None:
        sent.append(f"temperature {spec.temperature:g}")
    if spec.max_output_tokens is not None:
        sent.append(f"max_output_tokens {spec.max_output_tokens}")
    if spec.reasoning_effort is not None:
        sent.append(f"reasoning.effort {spec.reasoning_effort}")
    return ", ".join(sent)


def _answer(spec: AssistantSpec, scratch: ScratchStore) -> str:
    answered = asyncio.run(ask(spec, scratch.store_id, scratch.question))
    if scratch.path not in answered.cited:
        cited = ", ".join(answered.cited) or "no document"
        raise KbsyncError(
            f"the answer cited {cited}, not the check's document {scratch.path} "
            f"(response {answered.response_id}); file_search did not reach the store."
        )
    if answered.incomplete:
        return f"cited {scratch.path} (answer cut short: {answered.incomplete})"
    return f"cited {scratch.path} in a {len(answered.text)}-character answer"
