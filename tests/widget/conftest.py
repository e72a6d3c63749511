"""Widget fixtures: one Chromium per session, one seeded sandbox and relay per session.

The widget tests own their sandbox process (rather than the shared, per-test-reset one)
because the relay resolves the KB's vector store once: wiping the sandbox under it would
leave the relay pointing at nothing. Faults are cleared around every test instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testing.sandbox import set_faults
from testing.servers import Server, free_port, relay_server, sandbox_server
from tests.conftest import need
from tests.widget import _ui as ui
from tests.widget._fake_relay import FakeRelay, fake_relay
from tests.widget._stack import relay_env, seed, write_kb

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def browser(_browser: Any) -> Any:
    need(_browser is not None, "Debian chromium is not installed (apt-get install chromium)")
    return _browser


NewPage = Callable[..., Any]


@pytest.fixture
def new_page(browser: Any) -> Iterator[NewPage]:
    """A page in a fresh context (its own localStorage); keyword arguments go to new_context."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    errors: list[str] = []
    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


# ---- sandbox + relay ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kb(tmp_path_factory.mktemp("widget-kb"))


@pytest.fixture(scope="session")
def widget_sandbox(tmp_path_factory: pytest.TempPathFactory, kb_dir: Path) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("widget-sandbox") / "sandbox.log"
    with sandbox_server(log) as server:
        seed(server.url + "/v1", kb_dir)
        yield server


StartRelay = Callable[..., AbstractContextManager[Server]]


@pytest.fixture(scope="session")
def start_relay(
    widget_sandbox: Server, kb_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> StartRelay:
    """``with start_relay(RATE_LIMIT="1/minute") as relay:`` — a relay on the seeded sandbox."""

    @contextmanager
    def start(**env: str) -> Iterator[Server]:
        port = free_port()
        log = tmp_path_factory.mktemp("relay") / "relay.log"
        full = {**relay_env(widget_sandbox.url + "/v1", kb_dir, port), **env}
        with relay_server(log, full, port=port) as server:
            yield server

    return start


@pytest.fixture(scope="session")
def _relay(start_relay: StartRelay) -> Iterator[Server]:
    with start_relay() as server:
        yield server


@dataclass
class Live:
    relay: Server
    sandbox: Server

    @property
    def url(self) -> str:
        return self.relay.url

    def faults(self, **faults: Any) -> None:
        set_faults(self.sandbox, seed=1, **faults)


@pytest.fixture
def live(_relay: Server, widget_sandbox: Server) -> Iterator[Live]:
    """The session's relay + sandbox, with no faults before and after the test."""
    state = Live(_relay, widget_sandbox)
    state.faults()
    yield state
    state.faults()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeRelay]:
    """A scripted relay per test module, serving the host page in English and Russian."""
    with fake_relay() as relay:
        relay.pages["/"] = ui.host_page()
        relay.pages["/ru"] = ui.host_page(lang="ru")
        yield relay


@pytest.fixture
def relay(fake: FakeRelay) -> FakeRelay:
    """The module's scripted relay, with no reply queued and no request remembered."""
    fake.replies.clear()
    fake.bodies.clear()
    fake.json_pages.clear()
    fake.feedback.clear()
    return fake
