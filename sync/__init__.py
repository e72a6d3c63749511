"""The sync engine: plan ``kb/`` against the vector store, then apply the plan.

``kbsync`` (the command line) drives it through the names below.
"""

from sync._apply import ApplyReport, apply
from sync._preview import Deleted, delete_preview, plan_preview
from sync._progress import make as make_progress
from sync._remote import Remote, SearchHit
from sync._render import text as render_text
from sync._run import RunOptions, load, make_plan, raise_for_failures, run
from sync._safety import raise_if_unsafe
from sync.plan import Plan

__all__ = [
    "ApplyReport",
    "Deleted",
    "Plan",
    "Remote",
    "RunOptions",
    "SearchHit",
    "apply",
    "delete_preview",
    "load",
    "make_plan",
    "make_progress",
    "plan_preview",
    "raise_for_failures",
    "raise_if_unsafe",
    "render_text",
    "run",
]
