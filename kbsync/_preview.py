"""``kbsync preview --pr N [--delete]``: build, update or remove a pull request's preview
store (docs/operators.md, "Previews"; the engine is ``sync._preview``).

Building plans the PR's ``kb/`` against its preview store exactly as a sync plans the
main store, then applies it: documents whose bytes the main store holds are attached
by their File ids, only new or changed ones are uploaded. ``--delete`` removes the store
and the Files only it used. Exit 0 done; 1 an expected failure (one line).
"""

from __future__ import annotations

from pathlib import Path

from kbcore import output as _output
from kbcore.defaults import CONCURRENCY
from kbcore.kb import load_spec
from sync import (
    PREVIEW_EXPIRES_DAYS,
    ApplyReport,
    Remote,
    apply,
    delete_previews,
    load,
    make_progress,
    plan_preview,
    raise_for_failures,
    render_text,
)


def preview(kb_dir: Path, pr: int, *, delete: bool = False, concurrency: int = CONCURRENCY) -> int:
    """Build (or, with ``delete``, remove) pull request ``pr``'s preview store."""
    if delete:
        return _delete(kb_dir, pr)
    with make_progress() as progress:
        kb = load(kb_dir, progress)
        remote = Remote.from_env()
        try:
            plan = plan_preview(kb, remote, pr)
            _output.result(render_text(plan))
            if plan.pending:
                report = apply(plan, remote, progress, concurrency=concurrency)
                _output.result(report.line())
            else:  # in sync: a store exists
                report = ApplyReport(plan.store_id or "")
        finally:
            remote.close()
    raise_for_failures(plan, report)
    _output.info(_try_it(report.store_id))
    return 0


def _try_it(store_id: str) -> str:
    return (
        f"Preview store {store_id} is up to date; try it with VECTOR_STORE_ID={store_id} "
        f"kbsync relay (it expires {PREVIEW_EXPIRES_DAYS} days after its last use)."
    )


def _delete(kb_dir: Path, pr: int) -> int:
    # Every store of the pull request, whatever KB name it carries (it may have renamed
    # the KB, and this runs on the base branch, which knows the old one).
    name = load_spec(kb_dir).name
    remote = Remote.from_env()
    try:
        deleted = delete_previews(name, remote, pr)
    finally:
        remote.close()
    if not deleted:
        _output.result(f"Pull request #{pr} has no preview store; nothing to delete.")
        return 0
    for one in deleted:
        _output.result(
            f"Deleted preview store {one.store_id} and "
            f"{_output.plural(one.files_deleted, 'file')} only it used; "
            f"{_output.plural(one.files_kept, 'file')} of the main store kept."
        )
    return 0
