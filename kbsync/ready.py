"""Wait for a server that was just started to answer HTTP: ``kbsync dev`` waits for its
children with it, and so do the tests' and benchmarks' launchers."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

from kbcore.errors import KbsyncError


def wait_http(
    url: str,
    *,
    name: str = "server",
    exit_code: Callable[[], int | None] = lambda: None,
    timeout: float = 60.0,
    ready_only: bool = False,
    output: str = "its output above",
    interval: float = 0.05,
) -> None:
    """Return once ``url`` answers: with a status below 500, or with ``ready_only`` a 2xx.

    ``exit_code`` is the process's (``Popen.poll``): once it is not ``None`` the server
    has stopped, and waiting longer is pointless. Raises ``KbsyncError`` naming ``name``
    and where to read what it said (``output``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = exit_code()
        if code is not None:
            raise KbsyncError(f"the {name} exited with code {code} while starting; see {output}.")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError as error:
            if not ready_only and error.code < 500:
                return
        except OSError:
            pass
        time.sleep(interval)
    raise KbsyncError(f"the {name} did not answer {url} within {timeout:.0f} s.")
