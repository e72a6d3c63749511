"""The ``kbsync report`` command (loaded lazily by ``kbsync.cli``)."""

from __future__ import annotations

from pathlib import Path

import click

from kbcore.errors import KbError
from kbcore.kb import load_spec
from kbcore.kbdir import resolve_kb
from kbcore.output import display_path, exit_with, info
from kbsync._report_words import LANGS


@click.command("report")
@click.argument("logs", nargs=-1, required=True)
@click.option(
    "--since",
    default="30d",
    show_default=True,
    help="Only lines since then: a duration (7d, 12h, 30m, 2w) or a date (2026-05-01).",
)
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write one self-contained HTML page with charts to FILE.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True)
@click.option(
    "--kb-name",
    help="Count only the lines of this knowledge base.  [default: the name of --kb's KB, when"
    " there is one]",
)
@click.option("--kb", "kb_dir", type=click.Path(path_type=Path, file_okay=False), hidden=True)
def main(
    logs: tuple[str, ...],
    since: str,
    html: Path | None,
    as_json: bool,
    lang: str,
    kb_name: str | None,
    kb_dir: Path | None,
) -> None:
    """How the assistant does: chats, answers with a source, feedback, leads, hand-offs,
    gaps, by channel and by variant (each variant tested against main).

    LOG... are the relay's JSON log files, plain or gzipped, rotated ones included
    (- reads standard input). Text by default; --json for one document; --html FILE for
    a page to open in a browser or print."""
    from kbsync._report import ReportOptions, report

    if kb_name is None:
        kb_name = kb_name_of(kb_dir)
    options = ReportOptions(
        logs=logs, since=since or None, html=html, as_json=as_json, lang=lang, kb_name=kb_name
    )
    exit_with(lambda: report(options))


def kb_name_of(kb_dir: Path | None) -> str | None:
    """The name of the KB ``--kb`` (or ``KB_DIR``, or the nearest ``kb/``) names, as
    ``kbsync gaps`` reads it: a log shared by several relays then counts this KB's lines.
    No KB there, or one that does not load: no filter."""
    folder = resolve_kb(kb_dir)
    if not (folder / "instructions.md").is_file():
        return None
    try:
        name = load_spec(folder).name
    except (KbError, OSError):
        return None
    info(
        f"Counting the lines of knowledge base {name} ({display_path(folder)}/);"
        " --kb-name for another."
    )
    return name
