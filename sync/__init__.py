"""The sync engine: plan ``kb/`` against the vector store, then apply the plan.

``kbsync`` (the command line) drives it through the names below.
"""

from sync._apply import PREVIEW_EXPIRES_DAYS, ApplyReport, apply
from sync._ingest import attach_fresh
from sync._preview import Deleted, delete_preview, delete_previews, plan_preview
from sync._progress import Progress
from sync._progress import make as make_progress
from sync._remote import Remote, SearchHit
from sync._render import json_document as render_json
from sync._render import markdown as render_markdown
from sync._render import markdown_report as render_markdown_report
from sync._render import text as render_text
from sync._run import FAILED_PREFIX, load, make_plan, raise_for_failures, raise_if_failed
from sync._safety import mass_delete_problem, raise_if_unsafe
from sync.plan import Plan

__all__ = [
    "FAILED_PREFIX",
    "PREVIEW_EXPIRES_DAYS",
    "ApplyReport",
    "Deleted",
    "Plan",
    "Progress",
    "Remote",
    "SearchHit",
    "apply",
    "attach_fresh",
    "delete_preview",
    "delete_previews",
    "load",
    "make_plan",
    "make_progress",
    "mass_delete_problem",
    "plan_preview",
    "raise_for_failures",
    "raise_if_failed",
    "raise_if_unsafe",
    "render_json",
    "render_markdown",
    "render_markdown_report",
    "render_text",
]
