"""The systemd snippet's commands work when pasted as shown (issue 24 item 9): its
``deploy/…`` paths are relative to the checkout, so a ``cd`` into it comes first."""

from __future__ import annotations

import re

from testing.servers import ROOT

CHECKOUT = "/srv/kbsync/app"
# The page whose "systemd + nginx" block shows the same commands (docs may move it).
OPERATORS_DOC = ROOT / "docs" / "operators.md"


def _commands_before_relative_deploy_paths(lines: list[str]) -> list[str]:
    """The commands up to the first one that names ``deploy/…`` relatively."""
    for index, line in enumerate(lines):
        if re.search(r"(?<![/\w])deploy/", line):
            return lines[:index]
    raise AssertionError("no deploy/ path in the snippet")


def test_the_unit_files_own_instructions_cd_into_the_checkout() -> None:
    text = (ROOT / "deploy" / "kbsync-relay.service").read_text()
    comments = [line.removeprefix("#").strip() for line in text.splitlines()]
    before = _commands_before_relative_deploy_paths(comments)
    assert f"cd {CHECKOUT}" in before


def test_the_operators_page_cds_into_the_checkout() -> None:
    text = OPERATORS_DOC.read_text()
    blocks = [b.split("```")[0] for b in text.split("```sh")[1:]]
    block = next(b for b in blocks if "kbsync-relay.service" in b)
    lines = [line.split("#")[0].strip() for line in block.splitlines()]
    assert f"cd {CHECKOUT}" in _commands_before_relative_deploy_paths(lines)
