"""The ``kbsync`` command line: one click group, one module per command.

Every command is a plain function returning an exit code; ``kbcore.output.exit_with``
is the one place that maps failures to exit codes (expected → one line and 1, Ctrl-C →
130). Commands are imported only when invoked so that ``kbsync`` starts fast: add a
command with ``@main.command()`` here, or for a package's own command (like ``relay``)
an entry in ``_Commands.lazy``.

``--kb`` is taken before or after the subcommand (``kbsync --kb DIR validate`` and
``kbsync validate --kb DIR`` are the same); without it, ``KB_DIR``, else the nearest
``kb/`` here or above (``kbcore.kbdir``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import click

from kbcore.defaults import CONCURRENCY, MASS_DELETE_SHARE, MAX_CONCURRENCY, RELAY_PORT
from kbcore.kbdir import require_kb, resolve_kb
from kbcore.output import exit_with
from kbsync._gap_groups import MIN_SCORE as GAP_MIN_SCORE
from sandbox import DEFAULT_PORT as SANDBOX_PORT

EXIT_CODES = (
    "Exit codes: 0 done or nothing to do; 1 an error (one line says what); 2 changes "
    "pending (only with --detailed-exitcode) or a usage error; 130 interrupted (Ctrl-C)."
)


def _resolve(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    return resolve_kb(value)


kb_option = click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    callback=_resolve,
    help="The knowledge base folder.  [default: $KB_DIR, else the nearest kb/ here or above]",
)

concurrency_option = click.option(
    "--concurrency",
    default=CONCURRENCY,
    show_default=True,
    type=click.IntRange(1, MAX_CONCURRENCY),
    help="Uploads in parallel.",
)


def run_on_kb(kb_dir: Path, command: Callable[[Path], int]) -> NoReturn:
    """Run ``command`` on ``kb_dir`` once it is known to be a knowledge base (else one
    line, exit 1), through the one error handler."""
    exit_with(lambda: command(require_kb(kb_dir)))


class _Commands(click.Group):
    """The group: ``lazy`` commands are loaded from their packages on first use, and a
    ``--kb`` given before the subcommand becomes every subcommand's default."""

    lazy: ClassVar[dict[str, str]] = {
        "leads": "kbsync._leads",
        "relay": "kbsync._relay",
        "report": "kbsync._report_cmd",
        "sandbox": "sandbox.server",
        "telegram": "kbsync._telegram",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module = importlib.import_module(self.lazy[cmd_name])
            command: click.Command = module.main
            return command
        return super().get_command(ctx, cmd_name)


def _kb_everywhere(ctx: click.Context, kb_dir: Path) -> None:
    """``kbsync --kb DIR SUBCOMMAND``: DIR is the subcommand's ``--kb`` default (its own
    ``--kb`` still wins), through click's default map."""
    defaults: dict[str, Any] = dict(ctx.default_map or {})
    group = ctx.command
    assert isinstance(group, click.Group)
    for name in group.list_commands(ctx):
        defaults[name] = {**defaults.get(name, {}), "kb_dir": kb_dir}
    ctx.default_map = defaults


@click.group(
    cls=_Commands,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES,
)
@click.option(
    "--kb",
    "kb_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The knowledge base folder, for this command or the subcommand after it.  "
    "[default: $KB_DIR, else the nearest kb/ here or above]",
)
@click.option("--dry-run", is_flag=True, help="Show the plan; send only GET requests.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON document.")
@click.option(
    "--summary",
    "summary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append the plan as Markdown to FILE (e.g. $GITHUB_STEP_SUMMARY).",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending.")
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Apply without asking. Off a terminal (CI, a pipe) kbsync applies only with --yes.",
)
@concurrency_option
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help=f"Allow deleting over {MASS_DELETE_SHARE:.0%} of the store.",
)
@click.option("--prune-unmanaged", is_flag=True, help="Also remove files kbsync did not add.")
@click.option(
    "--refresh", is_flag=True, help="List the whole store even when its stamp says in sync."
)
@click.version_option(package_name="kbsync", prog_name="kbsync")
@click.pass_context
def main(
    ctx: click.Context,
    kb_dir: Path | None,
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
        if kb_dir is not None:
            _kb_everywhere(ctx, kb_dir)
        return
    from kbsync._apply_cmd import RunOptions, run

    def sync(kb: Path) -> int:
        return run(
            RunOptions(
                kb_dir=kb,
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
        )

    run_on_kb(resolve_kb(kb_dir), sync)


@main.command()
@kb_option
def validate(kb_dir: Path) -> None:
    """Check kb/ offline (no network): settings, instructions, every document."""
    from kbsync._validate import validate as run_validate

    run_on_kb(kb_dir, run_validate)


@main.command()
@kb_option
@click.option(
    "--port",
    default=RELAY_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The relay's port: the demo page and the API.",
)
@click.option(
    "--sandbox-port",
    default=SANDBOX_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The sandbox's port (used when OPENAI_API_KEY is unset).",
)
def dev(kb_dir: Path, port: int, sandbox_port: int) -> None:
    """Run the whole stack locally: sandbox (without OPENAI_API_KEY), sync, relay, watch."""
    from kbsync._dev import DevOptions
    from kbsync._dev import dev as run_dev

    run_on_kb(
        kb_dir, lambda kb: run_dev(DevOptions(kb_dir=kb, port=port, sandbox_port=sandbox_port))
    )


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

    run_on_kb(kb_dir, lambda kb: run_watch(kb, apply_changes=apply_changes))


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

    run_on_kb(kb_dir, lambda kb: run_check(kb, as_json=as_json))


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
@click.option(
    "--variant",
    metavar="NAME",
    help="With --answers: answer with this variant's instructions (kb/variants/NAME.md).",
)
def eval_command(
    kb_dir: Path,
    store: str | None,
    pr: int | None,
    answers: bool,
    as_json: bool,
    summary_file: Path | None,
    min_hit: float | None,
    variant: str | None,
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
        variant=variant,
    )
    run_on_kb(kb_dir, lambda _: evaluate(options))


@main.command(name="preview")
@kb_option
@click.option("--pr", required=True, type=click.IntRange(1), help="The pull request's number.")
@click.option("--delete", is_flag=True, help="Remove the preview store and the Files only it used.")
@concurrency_option
def preview_command(kb_dir: Path, pr: int, delete: bool, concurrency: int) -> None:
    """Build (or update) the pull request's preview store; --delete removes it."""
    from kbsync._preview import preview

    run_on_kb(kb_dir, lambda kb: preview(kb, pr, delete=delete, concurrency=concurrency))
