"""Validate JSON against the schemas of the project's copy of the OpenAI spec subset.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so ``jsonschema`` validates them as they are,
with ``$ref: "#/components/schemas/X"`` resolved inside the one spec document.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parent.parent / "sandbox" / "spec" / "openapi.subset.json"
_URI = "urn:openai-spec"


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    document = spec()
    registry: Registry[Any] = Registry().with_resource(_URI, DRAFT202012.create_resource(document))
    return Draft202012Validator(
        {"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=registry
    )


def errors(instance: Any, schema_name: str) -> list[str]:
    """Every violation, as ``path: message`` lines (empty when valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in _validator(schema_name).iter_errors(instance)
    ]


def assert_valid(instance: Any, schema_name: str) -> None:
    found = errors(instance, schema_name)
    assert not found, f"{schema_name} violations:\n" + "\n".join(found[:20])
