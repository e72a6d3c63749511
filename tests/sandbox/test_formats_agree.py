"""The sandbox's copy of OpenAI's file-search formats (``sandbox/_formats.py``, kept apart so
the sandbox stands alone) and kbsync's (``kbcore.formats``) say the same: what validate
accepts the sandbox accepts, and the other way round."""

from __future__ import annotations

from kbcore import formats as kbsync_side
from sandbox import _formats as sandbox_side


def test_supported_formats_are_the_same() -> None:
    assert sandbox_side.SUPPORTED_EXTENSIONS == kbsync_side.SUPPORTED_EXTENSIONS


def test_text_formats_are_the_same() -> None:
    assert sandbox_side.TEXT_EXTENSIONS == kbsync_side.TEXT_EXTENSIONS
