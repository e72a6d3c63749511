"""The sync engine: plan ``kb/`` against the vector store, then apply the plan.

``kbsync`` (the command line) drives it through the names below.
"""

from sync._apply import ApplyReport, apply
from sync._progress import make as make_progress
from sync._remote import Remote, SearchHit
from sync._render import text as render_text
from sync._run import RunOptions, load, make_plan, run
from sync._safety import raise_if_unsafe
from sync.plan import Plan

__all__ = [
    "ApplyReport",
    "Plan",
    "Remote",
    "RunOptions",
    "SearchHit",
    "apply",
    "load",
    "make_plan",
    "make_progress",
    "raise_if_unsafe",
    "render_text",
    "run",
]
