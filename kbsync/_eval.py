"""``kbsync eval``: do the golden questions of ``kb/evals.yaml`` find their documents?

On the main store by default; on a pull request's preview store with ``--store preview
--pr N`` (or ``--pr N`` alone), which is then compared with main. Exit 1 when a
question that passes on main fails on the store evaluated (a regression), when hit@k is
below ``--min-hit``, or, with ``--answers``, when an answer misses a ``says`` phrase or
cites no expected document. Otherwise 0, even when some questions fail on both: that is
the KB's state, not a change's doing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kbcore.errors import KbsyncError
from kbcore.evals import load_evals
from kbcore.kb import load_kb
from kbcore.output import display_path, info, result
from kbcore.wire import preview_label
from kbsync import _eval_render as render
from kbsync._eval_run import StoreRun, run
from sync import Remote

MAIN = "main"
PREVIEW = "preview"


@dataclass(frozen=True)
class EvalOptions:
    kb_dir: Path
    store: str | None = None  # MAIN or PREVIEW; None: PREVIEW with --pr, else MAIN
    pr: int | None = None
    answers: bool = False
    as_json: bool = False
    summary_file: Path | None = None
    min_hit: float | None = None
    variant: str | None = None  # answer with this variant's instructions (kb/variants/)


class EvalFailed(KbsyncError):
    """A regression, a hit rate under ``--min-hit`` or a failed answer: one line."""


def evaluate(options: EvalOptions) -> int:
    which = options.store or (PREVIEW if options.pr is not None else MAIN)
    if which == PREVIEW and options.pr is None:
        raise KbsyncError("--store preview needs --pr N, the pull request's number.")
    if which == MAIN and options.pr is not None:
        raise KbsyncError(f"--pr {options.pr} names a preview; drop --store main or the --pr.")
    kb = load_kb(options.kb_dir)
    cases = load_evals(kb)
    if not cases:
        raise KbsyncError(
            f"{display_path(options.kb_dir)}/evals.yaml has no golden questions; write some "
            "(each a `q:` and the `expect:` documents that answer it)."
        )
    spec = kb.spec
    variant = _variant(options, spec.variant_names())
    remote = Remote.from_env()
    try:
        main_store = remote.find_store(spec.name)
        main_run: StoreRun | None = None
        if which == PREVIEW:
            assert options.pr is not None
            label = preview_label(options.pr)
            preview = remote.find_preview(spec.name, label)
            if preview is None:
                raise KbsyncError(
                    f"Pull request #{options.pr} has no preview store ({label}); "
                    f"build it with kbsync preview --pr {options.pr}."
                )
            # Before the first merge there is no main store: the preview stands alone.
            also = " and on main" if main_store else " (no main store to compare with yet)"
            info(f"Evaluating {len(cases)} golden questions on {label}{also}.")
            evaluated = run(
                remote,
                spec,
                cases,
                label=label,
                store_id=preview.id,
                answers=options.answers,
                variant=variant,
            )
            if main_store is not None:
                main_run = run(remote, spec, cases, label=MAIN, store_id=main_store.id)
        else:
            if main_store is None:
                raise KbsyncError(
                    f"Knowledge base {spec.name} has no vector store yet; run kbsync to create it."
                )
            info(f"Evaluating {len(cases)} golden questions on main.")
            evaluated = run(
                remote,
                spec,
                cases,
                label=MAIN,
                store_id=main_store.id,
                answers=options.answers,
                variant=variant,
            )
    finally:
        remote.close()
    result(
        render.as_json(evaluated, main_run) if options.as_json else render.text(evaluated, main_run)
    )
    if options.summary_file is not None:
        _append(options.summary_file, render.markdown(evaluated, main_run))
    problems = _problems(evaluated, main_run, options.min_hit)
    if problems:
        raise EvalFailed("; ".join(problems) + ".")
    return 0


def _variant(options: EvalOptions, names: tuple[str, ...]) -> str | None:
    """The variant whose instructions answer, checked against kb/assistant.yaml."""
    if options.variant is None:
        return None
    if options.variant not in names:
        raise KbsyncError(
            f"--variant {options.variant}: kb/assistant.yaml has no such variant; use one of:"
            f" {', '.join(names)}."
        )
    if not options.answers:
        # Retrieval does not read the instructions: every variant finds the same documents.
        raise KbsyncError(
            f"--variant {options.variant} changes the instructions, which only answers use;"
            " add --answers."
        )
    info(f"Answering with the instructions of variant {options.variant}.")
    return options.variant


def _problems(evaluated: StoreRun, main: StoreRun | None, min_hit: float | None) -> list[str]:
    problems = []
    lost = render.regressions(evaluated, main)
    if lost:
        names = ", ".join(f"“{o.case.q}”" for o in lost[:3]) + (" …" if len(lost) > 3 else "")
        passes = "golden questions pass" if len(lost) > 1 else "golden question passes"
        problems.append(f"{len(lost)} {passes} on main but not on {evaluated.label}: {names}")
    if min_hit is not None and evaluated.hit_at_k < min_hit:
        problems.append(
            f"hit@k on {evaluated.label} is {evaluated.hit_at_k:.2f}, below --min-hit {min_hit:g}"
        )
    if evaluated.answers_failed:
        fail = "answers do" if evaluated.answers_failed > 1 else "answer does"
        problems.append(
            f"{evaluated.answers_failed} {fail} not say every `says` phrase and cite an "
            "expected document"
        )
    return problems


def _append(path: Path, markdown: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(markdown + "\n")
    except OSError as exc:
        raise KbsyncError(
            f"--summary {display_path(path)}: cannot be written ({exc.strerror}); "
            "check that its folder exists."
        ) from exc
