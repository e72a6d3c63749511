"""Assemble the kb-plan workflow's sticky pull-request comment from the three summaries.

The plan (``kbsync --dry-run --summary``), the eval on the pull request's preview store
and the eval on the main store (``kbsync eval --summary``) are Markdown files written by
the workflow; this script puts them under the marker that finds the comment again, with
one closing line saying what merging does. The same body goes to the job summary.

Standard library only: the workflow runs it from the base branch's checkout, before or
without installing anything, and a pull request cannot change it for its own run.

    python scripts/pr_comment.py --plan plan.md --plan-exit 2 \\
        --eval preview eval-preview.md 0 --eval main eval-main.md 0 --sha 0123abc > body.md
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

MARKER = "<!-- kbsync-plan -->"
# GitHub refuses comments over 65,536 characters; leave room for the marker and footer.
LIMIT = 60_000
CUT = "\n\n… (cut: the full plan is in the job summary)"

OUTCOMES = {
    0: "Merging this pull request changes nothing in the vector store.",
    2: "Merging this pull request applies these changes (workflow kb-sync).",
}
FIX = "Fix the problem and push again."
# kbsync eval exits 1 on a regression (or when it could not run): say so next to the outcome.
EVAL_FAILED = "The eval above failed: read it before merging."
STORES = {"preview": "this pull request's preview store", "main": "the main store"}


@dataclass(frozen=True)
class Section:
    """One command's Markdown summary and its exit code."""

    what: str  # what the command did, for the failure line: "The plan", "The eval on …"
    markdown: str
    exit_code: int

    def failure(self) -> str:
        return (
            f"**{self.what} failed** (kbsync exited with {self.exit_code}): "
            "see the log of the kb-plan check."
        )

    def render(self) -> str:
        """The summary; the failure line when the command failed without writing one."""
        text = self.markdown.strip()
        return self.failure() if self.exit_code and not text else text


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _cut(text: str, budget: int) -> str:
    """Cut at a line boundary, so that a Markdown table is never left with half a row."""
    if len(text) <= budget:
        return text
    head = text[: max(budget - len(CUT), 0)]
    return head[: head.rfind("\n")].rstrip() + CUT if "\n" in head else CUT.lstrip()


def body(plan: Section, evals: list[Section], sha: str, preview_exit: int = 0) -> str:
    plan_failed = plan.exit_code not in (0, 2)
    outcome = FIX if plan_failed else OUTCOMES[plan.exit_code]
    if preview_exit or any(e.exit_code for e in evals):
        outcome += " " + EVAL_FAILED
    footer = f"<sub>{outcome} Planned at {sha[:7]}; this comment is updated on every push.</sub>"
    # An eval that finds a regression exits 1 with its summary written: show it.
    evals_md = [text for text in (e.render() for e in evals) if text]
    if preview_exit:
        # No preview store, so no eval on it: say why instead of an empty section.
        evals_md.insert(
            0,
            f"**The preview store could not be built** (kbsync preview exited with "
            f"{preview_exit}): see the log of the kb-plan check.",
        )
    # Only the plan is cut: it is the part that grows with the pull request.
    room = LIMIT - len(MARKER) - len(footer) - sum(len(text) + 2 for text in evals_md) - 4
    # A failed plan shows only the failure line, never a half-written plan.
    plan_md = plan.failure() if plan_failed else plan.markdown.strip()
    sections = [_cut(plan_md, room), *evals_md]
    return f"{MARKER}\n" + "\n\n".join(sections) + f"\n\n{footer}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True, help="the plan's Markdown file")
    parser.add_argument("--plan-exit", type=int, required=True, help="kbsync's exit code")
    parser.add_argument(
        "--eval",
        nargs=3,
        action="append",
        default=[],
        metavar=("STORE", "FILE", "EXIT"),
        help="an eval summary: store (preview or main), Markdown file, exit code",
    )
    parser.add_argument(
        "--preview-exit", type=int, default=0, help="kbsync preview's exit code (0: built)"
    )
    parser.add_argument("--sha", required=True, help="the pull request's head commit")
    args = parser.parse_args(argv)
    evals = []
    for store, path, code in args.eval:
        if store not in STORES or not code.lstrip("-").isdigit():
            parser.error(f"--eval {store} {path} {code}: expected preview|main, FILE, EXIT CODE.")
        what = f"The eval on {STORES[store]}"
        evals.append(Section(what, _read(Path(path)), int(code)))
    plan = Section("The plan", _read(args.plan), args.plan_exit)
    sys.stdout.write(body(plan, evals, args.sha, args.preview_exit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
