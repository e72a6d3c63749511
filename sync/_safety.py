"""Refuse a plan that looks like an accident before anything is sent.

A plan that removes more than ``MAX_SHARE`` of a store holding at least ``MIN_FILES``
files (both in ``kbcore.defaults``; say, a branch where ``kb/files`` was moved by
mistake) needs ``--allow-mass-delete``.
Only removals without a replacement count: updates, retries and rechunks remove an
old file only once its new version is in the store, and duplicates are copies.
"""

from __future__ import annotations

from kbcore.defaults import MASS_DELETE_MIN_FILES as MIN_FILES
from kbcore.defaults import MASS_DELETE_SHARE as MAX_SHARE
from kbcore.errors import KbsyncError
from sync.plan import Action, Plan


class UnsafePlanError(KbsyncError):
    """The plan would delete too much; the message says how to go ahead anyway."""


def deletions(plan: Plan, *, prune_unmanaged: bool) -> int:
    """How many remote files the plan removes without putting anything in their place."""
    actions = (Action.DELETE, Action.UNMANAGED) if prune_unmanaged else (Action.DELETE,)
    return sum(len(change.remove) for change in plan.of(*actions))


def mass_delete_problem(plan: Plan, *, prune_unmanaged: bool) -> str | None:
    """The sentence explaining why the plan is unsafe, or ``None`` when it is fine."""
    removed = deletions(plan, prune_unmanaged=prune_unmanaged)
    total = plan.remote_files
    if total < MIN_FILES or removed <= MAX_SHARE * total:
        return None
    return (
        f"The plan deletes {removed} of the {total} files in vector store {plan.store_id} "
        f"({removed / total:.0%}, over the {MAX_SHARE:.0%} limit); if that is intended, "
        "run again with --allow-mass-delete."
    )


def raise_if_unsafe(plan: Plan, *, prune_unmanaged: bool, allow_mass_delete: bool) -> None:
    problem = mass_delete_problem(plan, prune_unmanaged=prune_unmanaged)
    if problem is not None and not allow_mass_delete:
        raise UnsafePlanError(problem)
