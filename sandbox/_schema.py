"""Validate request bodies against ``#/components/schemas/<name>`` of the spec copy.

OpenAPI 3.1 schemas are JSON Schema 2020-12, except for a few OpenAPI 3.0 leftovers:
``nullable: true`` is rewritten once, when the spec is loaded, into ``anyOf [..., null]``
so that an explicit ``null`` (which the SDK sends for "clear") validates as it does upstream.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from sandbox._errors import ApiError

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "openapi.subset.json"
_URI = "urn:openai-spec"


def _null_ok(node: Any) -> Any:
    if isinstance(node, list):
        return [_null_ok(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("$recursiveRef") == "#":
        # only CompoundFilter recurses; 2020-12 dropped $recursiveRef
        return {"$ref": "#/components/schemas/CompoundFilter"}
    node = dict(node)
    node.pop("$recursiveAnchor", None)
    if "discriminator" in node and "oneOf" in node:
        # OpenAPI picks a oneOf branch by the discriminator; plain JSON Schema would refuse
        # an input valid under two branches (e.g. a message without "type")
        node["anyOf"] = node.pop("oneOf")
    all_of = node.get("allOf")
    if isinstance(all_of, list) and {"nullable": True} in all_of:
        rest = [part for part in all_of if part != {"nullable": True}]
        node.pop("allOf")
        node = {key: _null_ok(value) for key, value in node.items()}
        return {**node, "anyOf": [{"allOf": _null_ok(rest)}, {"type": "null"}]}
    nullable = node.pop("nullable", False) is True
    node = {key: _null_ok(value) for key, value in node.items()}
    return {"anyOf": [node, {"type": "null"}]} if nullable else node


@functools.cache
def spec() -> dict[str, Any]:
    """The spec copy with ``nullable`` made JSON-Schema-2020-12 aware (loaded once)."""
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    patched: dict[str, Any] = _null_ok(copy.deepcopy(loaded))
    return patched


@functools.cache
def _registry() -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(_URI, DRAFT202012.create_resource(spec()))
    return registry


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    if schema_name not in spec()["components"]["schemas"]:
        raise KeyError(f"no schema named {schema_name!r} in {SPEC_PATH}")
    return Draft202012Validator(
        {"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=_registry()
    )


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = spec()["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _collect(node: Any, names: set[str]) -> None:
    node = _resolve(node)
    if not isinstance(node, dict):
        return
    names.update(node.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in node.get(key, []):
            _collect(part, names)


@functools.cache
def _known_fields(schema_name: str) -> frozenset[str] | None:
    """Top-level field names of a schema composed with ``allOf`` (which JSON Schema lets
    through unchecked), so that a misspelt field is refused as the real API refuses it."""
    schema = spec()["components"]["schemas"][schema_name]
    if "allOf" not in schema:
        return None
    names: set[str] = set()
    _collect(schema, names)
    return frozenset(names) or None


def _param(path: list[str | int]) -> str | None:
    if not path:
        return None
    text = str(path[0])
    for part in path[1:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def validate_body(schema_name: str, body: Any) -> None:
    """Raise ``ApiError`` 400 naming the first offending field, if ``body`` breaks the schema.

    >>> validate_body("UpdateVectorStoreFileAttributesRequest", {"attributes": {"a": 1}})
    """
    known = _known_fields(schema_name)
    if known is not None and isinstance(body, dict):
        for key in body:
            if key not in known:
                message = f"Unrecognized request argument supplied: {key}"
                raise ApiError(400, message, param=key, code="unknown_parameter")
    best = best_match(_validator(schema_name).iter_errors(body))
    if best is None:
        return
    path = list(best.absolute_path)
    if best.validator == "additionalProperties" and isinstance(best.instance, dict):
        allowed = best.schema.get("properties", {}) if isinstance(best.schema, dict) else {}
        extra = [key for key in best.instance if key not in allowed]
        if extra:
            path = [*path, extra[0]]
            message = f"Unrecognized request argument supplied: {extra[0]}"
            raise ApiError(400, message, param=_param(path), code="unknown_parameter")
    if best.validator == "required" and isinstance(best.instance, dict):
        wanted = best.schema.get("required", []) if isinstance(best.schema, dict) else []
        missing = [key for key in wanted if key not in best.instance]
        if missing:
            path = [*path, missing[0]]
            message = f"Missing required parameter: '{_param(path)}'."
            raise ApiError(400, message, param=_param(path), code="missing_required_parameter")
    where = _param(path) or "body"
    if best.validator == "minimum" and isinstance(best.instance, int):
        # upstream's words for an integer under its minimum (max_output_tokens < 16)
        message = (
            f"Invalid '{where}': integer below minimum value. Expected a value >= "
            f"{best.validator_value}, but got {best.instance} instead."
        )
        raise ApiError(400, message, param=_param(path), code="integer_below_min_value")
    message = f"Invalid value for '{where}': {best.message}"
    raise ApiError(400, message, param=_param(path), code="invalid_value")
