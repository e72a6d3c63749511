"""``kbsync gaps`` against hostile logs (issue 23): a visitor's question is theirs to
write, so it may carry terminal control sequences, and a log written by an older relay
may hold contact details its masking missed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.kbsync.test_gaps import gaps, line, write

ESCAPES = {
    "ESC c (reset)": "\x1bc",
    "ESC M (reverse line feed)": "\x1bM",
    "CSI (clear screen)": "\x1b[2J\x1b[H",
    "OSC title": "\x1b]0;owned\x07",
    "C1 OSC": "\x9d0;owned\x9c",
    "C1 CSI": "\x9b2J",
    "backspace, carriage return, bell": "\x08\x08\r\x07",
    "DEL": "\x7f",
}


def controls(text: str) -> list[str]:
    """The control characters in ``text``, newlines aside (C0, DEL and C1)."""
    return [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]


@pytest.mark.parametrize("as_json", [False, True], ids=["markdown", "json"])
def test_gaps_strips_visitors_control_characters(tmp_path: Path, as_json: bool) -> None:
    nothing = {"results": 0, "top": None, "cited": 0}
    lines = [
        line(f"Where can I park{escape} my car?", closest=[f"en/park{escape}.md"], **nothing)
        for escape in ESCAPES.values()
    ]
    lines.append(line("Do you have a sauna?\x1bc", kb="club\x1b]0;x\x07sante", **nothing))
    log = write(tmp_path / "relay.log", lines)
    result = gaps(tmp_path, str(log), *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.stderr
    assert controls(result.stdout) == []
    assert controls(result.stderr) == []
    assert "Where can I park my car?" in result.stdout
    assert "owned" not in result.stdout


def test_gaps_masks_what_an_older_relay_let_through(tmp_path: Path) -> None:
    nothing = {"results": 0, "top": None, "cited": 0}
    leaked = [
        "Перезвоните, номер89123456789",
        "My card 4111  1111  1111  1111 was charged twice",
        "call +7–912–345–67–89 about parking",
        "write to anna＠example.ru about parking",
        "write to anna @ example.ru about the sauna",
    ]
    log = write(tmp_path / "relay.log", [line(q, **nothing) for q in leaked])
    for args, label in (([], "\\[phone\\]"), (["--json"], "[phone]")):
        result = gaps(tmp_path, str(log), *args)
        assert result.exit_code == 0, result.stderr
        digits = "".join(c for c in result.stdout if c.isdigit())
        for secret in ("9123456789", "4111111111111111", "12345678"):
            assert secret not in digits
        assert "anna" not in result.stdout
        assert label in result.stdout
