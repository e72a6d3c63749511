"""The ``kbsync`` command line: one click group, one module per command.

Every command is a plain function returning an exit code; ``kbcore.output.exit_with``
is the one place that maps failures to exit codes (expected → one line and 1, Ctrl-C →
130). ``relay`` and ``sandbox`` are the packages' own commands (``python -m relay`` runs
the same one), imported only when invoked so that ``kbsync`` starts fast.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import ClassVar

import click

from kbcore import __version__
from kbcore.output import exit_with
from kbsync._gap_groups import MIN_SCORE as GAP_MIN_SCORE


def _default_kb() -> Path:
    return Path(os.environ.get("KB_DIR") or "kb")


kb_option = click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=_default_kb,
    show_default="$KB_DIR, else ./kb",
    help="The knowledge base folder.",
)


class _Commands(click.Group):
    """The group, with ``relay`` and ``sandbox`` loaded from their packages on first use."""

    _lazy: ClassVar[dict[str, str]] = {"relay": "relay.server", "sandbox": "sandbox.server"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module = importlib.import_module(self._lazy[cmd_name])
            command: click.Command = module.main
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@kb_option
@click.option("--dry-run", is_flag=True, help="Show the plan; send only GET requests.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON document.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append the plan as Markdown to FILE (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking on a terminal.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--allow-mass-delete", is_flag=True, help="Allow deleting over 30 % of the store.")
@click.option("--prune-unmanaged", is_flag=True, help="Also remove files kbsync did not add.")
@click.option(
    "--refresh", is_flag=True, help="List the whole store even when its stamp says in sync."
)
@click.version_option(__version__, prog_name="kbsync")
@click.pass_context
def main(
    ctx: click.Context,
    kb_dir: Path,
    dry_run: bool,
    as_json: bool,
    summary_file: Path | None,
    detailed_exitcode: bool,
    yes: bool,
    concurrency: int,
    allow_mass_delete: bool,
    prune_unmanaged: bool,
    refresh: bool,
) -> None:
    """Reconcile kb/ into the OpenAI vector store (plan, then apply)."""
    if ctx.invoked_subcommand is not None:
        return
    from sync import RunOptions, run

    options = RunOptions(
        kb_dir=kb_dir,
        dry_run=dry_run,
        as_json=as_json,
        summary_file=summary_file,
        detailed_exitcode=detailed_exitcode,
        yes=yes,
        concurrency=concurrency,
        allow_mass_delete=allow_mass_delete,
        prune_unmanaged=prune_unmanaged,
        refresh=refresh,
    )
    exit_with(lambda: run(options))


@main.command()
@kb_option
def validate(kb_dir: Path) -> None:
    """Check kb/ offline (no network): settings, instructions, every document."""
    from kbsync._validate import validate as run_validate

    exit_with(lambda: run_validate(kb_dir))


@main.command()
@kb_option
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The relay's port: the demo page and the API.",
)
@click.option(
    "--sandbox-port",
    default=8787,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The sandbox's port (used when OPENAI_API_KEY is unset).",
)
def dev(kb_dir: Path, port: int, sandbox_port: int) -> None:
    """Run the whole stack locally: sandbox (without OPENAI_API_KEY), sync, relay, watch."""
    from kbsync._dev import DevOptions
    from kbsync._dev import dev as run_dev

    exit_with(lambda: run_dev(DevOptions(kb_dir=kb_dir, port=port, sandbox_port=sandbox_port)))


@main.command()
@kb_option
@click.option(
    "--apply",
    "apply_changes",
    is_flag=True,
    help="Apply each new plan (no prompt), not just show it.",
)
def watch(kb_dir: Path, apply_changes: bool) -> None:
    """Plan again (or apply, with --apply) whenever kb/ changes; Ctrl-C stops (exit 0)."""
    from kbsync._watch import watch as run_watch

    exit_with(lambda: run_watch(kb_dir, apply_changes=apply_changes))


@main.command()
@kb_option
@click.argument("logs", nargs=-1, required=True, metavar="LOG...")
@click.option(
    "--since",
    metavar="WHEN",
    help="Only chats since then: a duration (7d, 12h, 30m, 2w) or a date (2026-05-01).",
)
@click.option(
    "--min-score",
    default=GAP_MIN_SCORE,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="A chat whose best result scored under this found only a weak match.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def gaps(
    kb_dir: Path, logs: tuple[str, ...], since: str | None, min_score: float, as_json: bool
) -> None:
    """What visitors asked that the KB could not answer, from the relay's access logs.

    LOG... are the relay's JSON log files, plain or gzipped (- reads standard input).
    With --kb naming a KB folder that exists, only that KB's chats are read."""
    from kbsync._gaps import GapsOptions
    from kbsync._gaps import gaps as run_gaps

    options = GapsOptions(
        logs=logs, kb_dir=kb_dir, since=since, min_score=min_score, as_json=as_json
    )
    exit_with(lambda: run_gaps(options))


@main.command()
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print the steps as one JSON document.")
def check(kb_dir: Path, as_json: bool) -> None:
    """Prove this KB's spec works on the configured API: model, parameters, a temporary
    store and one answer that cites it. Everything it creates is deleted before it exits."""
    from kbsync._check import check as run_check

    exit_with(lambda: run_check(kb_dir, as_json=as_json))


@main.command(name="eval")
@kb_option
@click.option(
    "--store",
    type=click.Choice(["main", "preview"]),
    help="The store to evaluate (default: preview with --pr, else main).",
)
@click.option("--pr", type=click.IntRange(1), help="The pull request whose preview to evaluate.")
@click.option(
    "--answers",
    is_flag=True,
    help="Also ask each question through the relay's request: check `says` and citations.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON document.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append the results as Markdown to FILE (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "--min-hit",
    type=click.FloatRange(0, 1),
    metavar="RATE",
    help="Exit 1 when hit@k is below RATE (0 to 1).",
)
def eval_command(
    kb_dir: Path,
    store: str | None,
    pr: int | None,
    answers: bool,
    as_json: bool,
    summary_file: Path | None,
    min_hit: float | None,
) -> None:
    """Run kb/evals.yaml against a vector store: the rank of each question's document,
    hit@k and MRR. On a preview, exit 1 when a question that passes on main fails."""
    from kbsync._eval import EvalOptions, evaluate

    options = EvalOptions(
        kb_dir=kb_dir,
        store=store,
        pr=pr,
        answers=answers,
        as_json=as_json,
        summary_file=summary_file,
        min_hit=min_hit,
    )
    exit_with(lambda: evaluate(options))


@main.command(name="preview")
@kb_option
@click.option("--pr", required=True, type=click.IntRange(1), help="The pull request's number.")
@click.option("--delete", is_flag=True, help="Remove the preview store and the Files only it used.")
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 64))
def preview_command(kb_dir: Path, pr: int, delete: bool, concurrency: int) -> None:
    """Build (or update) the pull request's preview store; --delete removes it."""
    from kbsync._preview import preview

    exit_with(lambda: preview(kb_dir, pr, delete=delete, concurrency=concurrency))
