"""Run the golden questions of ``kb/evals.yaml`` against one vector store, as values.

Each question goes through ``vector_stores.search`` (the retrieval step of
file_search: the spec's ``max_num_results``, query rewriting on). Results are chunks;
they are ranked here by *document* (the first chunk of each ``kb_path``), so three
chunks of one long document do not push the next document down to rank 4. A question
passes when an expected document is within its ``k`` first documents.

With answers on, each question also goes through the relay's own streamed request
(``answer.ask.ask``, the same spec, model and tool settings visitors get): the answer
must hold every ``says`` phrase (case and spacing aside) and cite an expected document.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from answer.ask import ask
from kbcore.errors import KbsyncError
from kbcore.evals import EvalCase
from kbcore.kb import AssistantSpec
from sync import Remote

ANSWER_CONCURRENCY = 4
_SPACE = re.compile(r"\s+")  # \s covers the no-break and thin spaces of "1 500"


@dataclass(frozen=True)
class AnswerCheck:
    cited: tuple[str, ...]
    missing: tuple[str, ...]  # ``says`` phrases not in the answer
    cites_expected: bool
    incomplete: str | None

    @property
    def ok(self) -> bool:
        return self.cites_expected and not self.missing


@dataclass(frozen=True)
class Outcome:
    """One golden question on one store."""

    case: EvalCase
    found: tuple[str, ...]  # kb paths of the documents found, best first
    answer: AnswerCheck | None = None

    @property
    def rank(self) -> int | None:
        """1-based rank of the first expected document among those found."""
        return next((n for n, path in enumerate(self.found, 1) if path in self.case.expect), None)

    @property
    def ok(self) -> bool:
        rank = self.rank
        return rank is not None and rank <= self.case.k


@dataclass(frozen=True)
class StoreRun:
    """Every golden question on one store (``label``: ``main``, ``pr-12``…)."""

    label: str
    store_id: str
    outcomes: tuple[Outcome, ...]
    variant: str | None = None  # whose instructions the answers used (None: main's)

    @property
    def passed(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def hit_at_k(self) -> float:
        return self.passed / len(self.outcomes) if self.outcomes else 0.0

    @property
    def mrr(self) -> float:
        if not self.outcomes:
            return 0.0
        return sum(1 / o.rank for o in self.outcomes if o.rank) / len(self.outcomes)

    @property
    def answers_failed(self) -> int:
        return sum(1 for o in self.outcomes if o.answer is not None and not o.answer.ok)


def run(
    remote: Remote,
    spec: AssistantSpec,
    cases: Sequence[EvalCase],
    *,
    label: str,
    store_id: str,
    answers: bool = False,
    variant: str | None = None,
) -> StoreRun:
    found = [_search(remote, spec, store_id, case) for case in cases]
    checks: Sequence[AnswerCheck | None] = [None] * len(cases)
    if answers:
        checks = asyncio.run(_answers(spec, store_id, cases, variant))
    outcomes = tuple(
        Outcome(case, paths, check) for case, paths, check in zip(cases, found, checks, strict=True)
    )
    return StoreRun(label, store_id, outcomes, variant if answers else None)


def _search(remote: Remote, spec: AssistantSpec, store_id: str, case: EvalCase) -> tuple[str, ...]:
    hits = remote.search(store_id, case.q, max_num_results=spec.max_num_results, rewrite_query=True)
    paths: list[str] = []
    for hit in hits:
        path = hit.path or hit.filename
        if path and path not in paths:
            paths.append(path)
    return tuple(paths)


async def _answers(
    spec: AssistantSpec, store_id: str, cases: Sequence[EvalCase], variant: str | None = None
) -> list[AnswerCheck | None]:
    gate = asyncio.Semaphore(ANSWER_CONCURRENCY)

    async def one(case: EvalCase) -> AnswerCheck:
        async with gate:
            try:
                answered = await ask(spec, store_id, case.q, variant)
            except KbsyncError as error:
                raise KbsyncError(
                    f"Asking the golden question {case.q!r} failed: {error}"
                ) from error
        text = _normal(answered.text)
        return AnswerCheck(
            cited=tuple(answered.cited),
            missing=tuple(p for p in case.says if _normal(p) not in text),
            cites_expected=any(path in case.expect for path in answered.cited),
            incomplete=answered.incomplete,
        )

    return list(await asyncio.gather(*(one(case) for case in cases)))


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()
