"""Attribute filters of ``file_search``: ``ComparisonFilter`` and ``CompoundFilter``.

A missing attribute never satisfies ``eq``/``in``/an ordering, and always satisfies
``ne``/``nin``. Orderings compare numbers with numbers and strings with strings only.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: Any, right: Any) -> bool:
    if _number(left) and _number(right):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def _ordered(left: Any, right: Any) -> bool:
    return (_number(left) and _number(right)) or (isinstance(left, str) and isinstance(right, str))


def _compare(op: str, attribute: Any, value: Any) -> bool:
    if op == "ne":
        return attribute is _MISSING or not _same(attribute, value)
    if op == "nin":
        return attribute is _MISSING or not any(_same(attribute, v) for v in value)
    if attribute is _MISSING:
        return False
    if op == "eq":
        return _same(attribute, value)
    if op == "in":
        return any(_same(attribute, v) for v in value)
    if not _ordered(attribute, value):
        return False
    if op == "gt":
        return bool(attribute > value)
    if op == "gte":
        return bool(attribute >= value)
    if op == "lt":
        return bool(attribute < value)
    if op == "lte":
        return bool(attribute <= value)
    raise ValueError(f"unknown comparison {op!r}")


def matches(flt: dict[str, Any] | None, attributes: dict[str, Any] | None) -> bool:
    """Whether a file with ``attributes`` passes the (schema-valid) filter ``flt``."""
    if flt is None:
        return True
    attrs = attributes or {}
    kind = flt.get("type", "eq")
    if kind == "and":
        return all(matches(sub, attrs) for sub in flt["filters"])
    if kind == "or":
        return any(matches(sub, attrs) for sub in flt["filters"])
    value = flt["value"]
    if kind in ("in", "nin") and not isinstance(value, list):
        value = [value]
    return _compare(kind, attrs.get(flt["key"], _MISSING), value)
