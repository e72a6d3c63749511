"""Small request/response helpers shared by the route modules of this half."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response

from sandbox._errors import bad_request
from sandbox._schema import validate_body

AnyRequest = Request[Any, Any, Any]


def ok(content: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=content, status_code=200, headers=headers, media_type="application/json"
    )


async def json_body(request: AnyRequest, schema: str | None = None) -> dict[str, Any]:
    """The JSON object in the body (``{}`` when empty), validated against ``schema``."""
    raw = await request.body()
    if not raw.strip():
        body: Any = {}
    else:
        try:
            body = json.loads(raw)
        except ValueError:
            raise bad_request(
                "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly.)"
            ) from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    if schema is not None:
        validate_body(schema, body)
    return body
