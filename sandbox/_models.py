"""Placeholder: filled in by the responses/conversations half of the sandbox."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
