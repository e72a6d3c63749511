"""Who may use the sandbox: local tools, never a web page.

A browser lets any page send a "simple" cross-origin POST (``text/plain``, no preflight),
and a DNS-rebinding page reaches a loopback server under the page's own host name. So
every request (``/v1`` as much as the control routes ``/_sandbox/*``: the API reads out
the KB's files and answers as a model) must carry a loopback ``Host`` (and a loopback
``Origin`` when it has one: a page on another site sends its own); a control request's
body must also be ``application/json``, which no page can send cross-origin without a
preflight the sandbox never grants.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sandbox._errors import ApiError

_LOCAL_NAMES = {"localhost"}


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str | None:
    """The name part of a ``Host`` header (``[::1]:8787`` → ``::1``)."""
    try:
        return urlsplit(f"//{host_header}").hostname
    except ValueError:
        return None


def check_loopback(host: str | None, origin: str | None) -> ApiError | None:
    """The refusal for a request (any route) that is not a local tool's, else ``None``."""
    if not _is_loopback(_host_name(host or "")):
        return ApiError(
            403,
            f"The sandbox answers only loopback requests; this one was addressed to host "
            f"{host!r}. Call it as http://127.0.0.1:PORT/...",
            type="permission_denied",
        )
    if origin is not None:
        try:
            origin_host = urlsplit(origin).hostname
        except ValueError:
            origin_host = None
        if not _is_loopback(origin_host):
            return ApiError(
                403,
                f"The sandbox answers only loopback requests; this one came from the page "
                f"{origin!r}, so it was refused.",
                type="permission_denied",
            )
    return None


def check_control_request(
    method: str, host: str | None, origin: str | None, content_type: str | None
) -> ApiError | None:
    """The refusal for a control request that is not a local tool's, else ``None``."""
    refused = check_loopback(host, origin)
    if refused is not None:
        return refused
    if method in ("POST", "PUT", "PATCH"):
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            return ApiError(
                415,
                f"The sandbox's control routes take application/json only, not "
                f"{media or 'a body without Content-Type'}; send the body as JSON with "
                "Content-Type: application/json.",
            )
    return None
