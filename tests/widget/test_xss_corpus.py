"""An XSS corpus (``xss_payloads.txt``) quoted as model text: nothing executes in Chromium.

Each payload lives in its own sandbox document ("Exhibit zqxNN quotes this markup verbatim:
…"), under a hostile file name and ``kb_path``, in a vector store of its own served by a relay
of its own. The test asks the widget about that exhibit, proves the payload reached the
browser intact in the SSE ``delta`` text, then checks: no flag on ``window``, no dialog, no
request beyond the widget's own, no element or attribute outside the widget's Markdown subset,
only http/https/mailto links — and clicks every link, which cannot navigate the page away.
Payloads the sandbox's extractive model cannot quote verbatim (it collapses whitespace and
drops ``**``, ``__`` and backticks) are played by a scripted relay instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kbcore import wire
from testing.sandbox import set_faults
from testing.servers import Server
from testing.sse import parse_sse
from tests.conftest import need
from tests.widget import _ui as ui
from tests.widget._fake_relay import WIDGET, FakeRelay, Reply, event, fake_relay
from tests.widget._stack import API_KEY, KB_NAME
from tests.widget.conftest import StartRelay

pytestmark = pytest.mark.browser

CORPUS_FILE = Path(__file__).resolve().parent / "xss_payloads.txt"
_ESCAPE = re.compile(r"\{U\+([0-9A-Fa-f]{4,6})\}")
# What the sandbox's layout step rewrites: any whitespace but single spaces, emphasis markers.
_NOT_CARRIED = re.compile(r"\*\*|__|`")


@dataclass(frozen=True)
class Payload:
    flag: str
    text: str

    @property
    def marker(self) -> str:
        return "zqx" + self.flag.removeprefix("xss")

    @property
    def question(self) -> str:
        return f"What does exhibit {self.marker} quote?"

    @property
    def document(self) -> str:
        return f"Exhibit {self.marker} quotes this markup verbatim: {self.text}\n"

    @property
    def filename(self) -> str:
        return f"{self.flag}<svg onload=window.{self.flag}f=1>.txt"

    @property
    def kb_path(self) -> str:
        return f"exhibits/<img src=x onerror=window.{self.flag}p=1>/{self.flag}.txt"

    @property
    def flags(self) -> list[str]:
        return [self.flag, self.flag + "f", self.flag + "p"]

    def __str__(self) -> str:
        return f"{self.flag}: {self.text!r}"


def load_corpus() -> list[Payload]:
    payloads = []
    for line in CORPUS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        flag, text = line.split(" ", 1)
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        payloads.append(Payload(flag, text))
    return payloads


def carried_by_sandbox(text: str) -> bool:
    return text == " ".join(text.split()) and not _NOT_CARRIED.search(text)


CORPUS = load_corpus()
THROUGH_SANDBOX = [p for p in CORPUS if carried_by_sandbox(p.text)]
THROUGH_SCRIPT = [p for p in CORPUS if not carried_by_sandbox(p.text)]
ALL_FLAGS = [flag for p in CORPUS for flag in p.flags]


def test_corpus_is_well_formed() -> None:
    flags = [p.flag for p in CORPUS]
    assert len(set(flags)) == len(flags), "duplicate flags"
    assert all(re.fullmatch(r"xss\d\d", flag) for flag in flags), flags
    assert len({p.text for p in CORPUS}) == len(CORPUS), "duplicate payloads"
    assert len(THROUGH_SANDBOX) >= 30, "the real stack must carry at least 30 payloads"
    # Every flag but the base64 one is spelled out in its payload.
    assert [p.flag for p in CORPUS if p.flag not in p.text] == ["xss34"]


# ---- the stack: a vector store and a relay of the corpus's own ------------------------------


def seed_corpus(base_url: str, payloads: list[Payload]) -> str:
    """One document per payload in a new vector store (not the widget KB's); its id."""
    import openai

    with openai.OpenAI(api_key=API_KEY, base_url=base_url, max_retries=0, timeout=30) as client:
        files: list[Any] = []
        for payload in payloads:
            data = payload.document.encode()
            uploaded = client.files.create(file=(payload.filename, data), purpose="assistants")
            attributes = {
                wire.KB_PATH: payload.kb_path,
                wire.KB_SHA256: hashlib.sha256(data).hexdigest(),
            }
            files.append({"file_id": uploaded.id, "attributes": attributes})
        # The widget KB's name (VECTOR_STORE_ID must name a store of the relay's KB) with a
        # kb_preview key, so that relays started later without VECTOR_STORE_ID, choosing by
        # kbcore's rule, never take it for the KB's main store.
        metadata = {wire.KB_NAME: KB_NAME, wire.KB_PREVIEW: "xss-corpus"}
        store = client.vector_stores.create(name="kb:xss-corpus", metadata=metadata)
        batch = client.vector_stores.file_batches.create_and_poll(store.id, files=files)
        if batch.status != "completed" or batch.file_counts.failed:
            raise RuntimeError(f"seeding the XSS corpus failed: {batch!r}")
        return store.id


@pytest.fixture(scope="module")
def corpus_relay(widget_sandbox: Server, start_relay: StartRelay) -> Iterator[Server]:
    set_faults(widget_sandbox)
    store_id = seed_corpus(widget_sandbox.url + "/v1", THROUGH_SANDBOX)
    with start_relay(VECTOR_STORE_ID=store_id) as relay:
        yield relay


@pytest.fixture(scope="module")
def scripted() -> Iterator[FakeRelay]:
    with fake_relay() as relay:
        yield relay


# ---- one page per origin, watched, reused while nothing goes wrong -------------------------

HOST_PATH = "/xss-host"
OWN_PATHS = {HOST_PATH, "/widget.js", "/api/chat", "/favicon.ico"}


@dataclass
class Watch:
    """One page on ``origin`` and what it did besides rendering: requests elsewhere,
    dialogs, new windows, uncaught errors. The chat is reset between payloads; a payload
    that got anywhere spoils the page, and the next payload gets a new one."""

    browser: Any
    origin: str
    page: Any = None
    foreign: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    popups: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    spoiled: bool = True
    widget: str | None = None  # another widget.js to serve instead (the negative control)

    def fresh(self) -> Any:
        """The page, ready for a question, with nothing recorded yet."""
        if self.spoiled or self.page is None or self.page.is_closed():
            self.close()
            self._open()
        else:
            self.page.evaluate("() => window.KbChat.reset()")
        for record in (self.foreign, self.dialogs, self.popups, self.errors):
            record.clear()
        self.spoiled = True  # until the payload's checks pass
        return self.page

    def _open(self) -> None:
        context = self.browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
        context.set_default_timeout(15_000)
        html = ui.host_page()

        def route(route: Any) -> None:
            url = route.request.url
            if url == self.origin + HOST_PATH:
                route.fulfill(status=200, content_type="text/html", body=html)
            elif url == self.origin + "/widget.js" and self.widget is not None:
                route.fulfill(status=200, content_type="text/javascript", body=self.widget)
            elif url.startswith(self.origin + "/") and urlsplit(url).path in OWN_PATHS:
                route.continue_()
            else:  # nothing leaves the widget's origin, not even a link opened in a new tab
                if self._from_page(route.request):
                    self.foreign.append(url)
                route.abort()

        def dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        context.route("**/*", route)
        context.on("page", lambda popup: self.popups.append(popup))
        self.page = context.new_page()
        self.page.on("dialog", dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        ui.open_chat(self.page, self.origin + HOST_PATH)

    def _from_page(self, request: Any) -> bool:
        """Whether the page made ``request`` (not a tab opened by clicking a link)."""
        try:
            return request.frame.page is self.page
        except Exception:  # no frame: a worker's request
            return True

    def close(self) -> None:
        if self.page is not None:
            self.page.context.close()
            self.page = None


@pytest.fixture(scope="module")
def corpus_page(_browser: Any, corpus_relay: Server) -> Iterator[Watch]:
    need(_browser is not None, "Debian chromium is not installed (apt-get install chromium)")
    watch = Watch(_browser, corpus_relay.url)
    yield watch
    watch.close()


@pytest.fixture(scope="module")
def scripted_page(_browser: Any, scripted: FakeRelay) -> Iterator[Watch]:
    need(_browser is not None, "Debian chromium is not installed (apt-get install chromium)")
    watch = Watch(_browser, scripted.url)
    yield watch
    watch.close()


def sse_events(body: str) -> list[tuple[str, Any]]:
    return [(e.event, e.data) for e in parse_sse(body)[0]]


def ask_and_capture(watch: Watch, question: str) -> list[tuple[str, Any]]:
    """Ask through the widget; the SSE events of the answer as the browser received them."""
    page = watch.fresh()
    with page.expect_response(lambda r: r.url == watch.origin + "/api/chat") as info:
        ui.ask(page, question)
    response = info.value
    response.finished()
    ui.wait_idle(page)
    return sse_events(response.text())


# The widget's Markdown subset: these tags and attributes only, inside an answer; and these
# tags only anywhere in the conversation (bubbles, sources, notices, the typing dots).
LOG_TAGS = ["DIV", "SPAN", "I", "BUTTON", "P", "BR", "STRONG", "EM", "CODE", "PRE", "UL", "OL"]
LOG_TAGS += ["LI", "A"]
ALLOWED = {
    "P": {"class"},
    "BR": set(),
    "STRONG": set(),
    "EM": set(),
    "CODE": set(),
    "PRE": set(),
    "UL": set(),
    "OL": {"start"},
    "LI": set(),
    "A": {"href", "target", "rel"},
}

INSPECT = """([flags, allowed, logTags]) => {
    const root = document.querySelector('kb-chat').shadowRoot;
    const bodies = root.querySelectorAll('.log .m.b .t');
    const answer = bodies[bodies.length - 1];
    const out = {set: [], strays: [], handlers: [], urls: [], links: [], frames: window.length};
    const named = Object.getOwnPropertyNames(window).filter(n => /^xss\\d/.test(n));
    out.set = flags.filter(f => f in window).concat(named.filter(n => !flags.includes(n)));
    for (const e of answer.querySelectorAll('*')) {
        const ok = allowed[e.tagName];
        if (!ok) { out.strays.push(e.tagName); continue; }
        for (const a of e.attributes) {
            if (!ok.includes(a.name)) out.strays.push(e.tagName + '@' + a.name);
        }
    }
    for (const e of root.querySelectorAll('.log *')) {
        if (!logTags.includes(e.tagName)) out.strays.push('log:' + e.tagName);
    }
    for (const e of [document.documentElement, ...document.querySelectorAll('*'),
                     ...root.querySelectorAll('*')]) {
        for (const a of e.attributes) {
            if (/^on/i.test(a.name)) out.handlers.push(e.tagName + '@' + a.name);
            if (/^(href|src|srcdoc|action|formaction|data|xlink:href)$/i.test(a.name))
                out.urls.push(e.tagName + '@' + a.name + '=' + a.value);
        }
    }
    for (const a of root.querySelectorAll('a')) {
        out.links.push({href: a.getAttribute('href'), target: a.target, rel: a.rel});
    }
    out.text = answer.textContent;
    out.lightTags = [...document.querySelectorAll('body *')].map(e => e.tagName);
    return out;
}"""

LIGHT_DOM = ["H1", "P", "SCRIPT", "KB-CHAT"]  # ui.host_page()'s body, and the widget's host


def check_page(watch: Watch, payload: Payload) -> list[str]:
    """Everything wrong with the page after the answer; [] when it is safe."""
    page = watch.page
    page.wait_for_timeout(200)  # give a would-be onerror / onload / ontoggle its chance
    allowed = {tag: sorted(names) for tag, names in ALLOWED.items()}
    seen = page.evaluate(INSPECT, [ALL_FLAGS, allowed, LOG_TAGS])
    problems = []
    if seen["set"]:
        problems.append(f"flags set on window: {seen['set']}")
    if watch.errors:
        problems.append(f"uncaught errors in the page: {watch.errors}")
    if watch.dialogs:
        problems.append(f"dialogs opened: {watch.dialogs}")
    if watch.foreign or watch.popups:
        problems.append(f"requests beyond the widget's own: {watch.foreign} {watch.popups}")
    if seen["strays"]:
        problems.append(f"elements/attributes outside the Markdown subset: {seen['strays']}")
    if seen["handlers"]:
        problems.append(f"event-handler attributes: {seen['handlers']}")
    if seen["frames"]:
        problems.append(f"{seen['frames']} frame(s) in the page")
    if seen["lightTags"] != LIGHT_DOM:
        problems.append(f"the host page's DOM changed: {seen['lightTags']}")
    bad_urls = [u for u in seen["urls"] if not re.search(r"=(https?:|mailto:|/widget\.js$)", u)]
    if bad_urls:
        problems.append(f"URL attributes with other schemes: {bad_urls}")
    for link in seen["links"]:
        if not re.match(r"(https?|mailto):", link["href"] or ""):
            problems.append(f"link with a forbidden scheme: {link['href']!r}")
        if link["target"] != "_blank" or set(link["rel"].split()) != {"noopener", "noreferrer"}:
            problems.append(f"link not opened safely: {link}")
    # Payloads with no Markdown in them must show as text, character for character.
    if (
        not re.search(r"[\[*`]|https?://|mailto:", payload.text)
        and payload.text not in seen["text"]
    ):
        problems.append(f"not shown verbatim as text: {seen['text']!r}")
    if problems:
        return problems
    # Follow every link the answer rendered. All are http(s)/mailto in a new tab (checked
    # above), so the page cannot navigate; the new tab's request is refused by the route.
    links = ui.answers(page).last.locator(".t a")
    for i in range(links.count()):
        if (links.nth(i).get_attribute("href") or "").startswith("mailto:"):
            links.nth(i).click()  # hands over to a mail client; no tab opens
            continue
        with page.context.expect_page() as opened:
            links.nth(i).click()
        opened.value.close()
    watch.popups.clear()
    after = page.evaluate(INSPECT, [ALL_FLAGS, allowed, LOG_TAGS])
    if after["set"]:
        problems.append(f"flags set on window after clicking the links: {after['set']}")
    if page.url != watch.origin + HOST_PATH:
        problems.append(f"the page navigated to {page.url}")
    if watch.dialogs:
        problems.append(f"dialogs opened after clicking the links: {watch.dialogs}")
    if watch.errors:
        problems.append(f"uncaught errors after clicking the links: {watch.errors}")
    watch.spoiled = bool(problems)
    return problems


# ---- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", THROUGH_SANDBOX, ids=lambda p: p.flag)
def test_payload_through_sandbox_relay_widget(corpus_page: Watch, payload: Payload) -> None:
    events = ask_and_capture(corpus_page, payload.question)

    names = [name for name, _ in events]
    assert names[0] == "conversation", f"{payload}: {names}"
    assert names[-1] == "done", f"{payload}: {names}"
    answer = "".join(data["text"] for name, data in events if name == "delta")
    # A payload that never arrives proves nothing.
    assert payload.text in answer, f"{payload} did not reach the browser intact: {answer!r}"
    sources = [data for name, data in events if name == "source"]
    assert [(s["filename"], s["path"]) for s in sources] == [(payload.filename, payload.kb_path)]

    problems = check_page(corpus_page, payload)
    assert not problems, f"{payload}\n" + "\n".join(problems)
    shown = ui.answers(corpus_page.page).last.locator(".s li")
    assert shown.all_inner_texts() == [payload.filename]
    assert shown.get_attribute("title") == payload.kb_path


@pytest.mark.parametrize("payload", THROUGH_SCRIPT, ids=lambda p: p.flag)
def test_payload_through_scripted_relay(
    scripted: FakeRelay, scripted_page: Watch, payload: Payload
) -> None:
    half = len(payload.text) // 2  # split mid-payload: the widget re-renders the whole text
    source = {"file_id": "file-x", "filename": payload.filename, "path": payload.kb_path}
    stream = (
        event("conversation", {"conversation": "tok-xss"})
        + event("delta", {"text": "Exhibit quotes: " + payload.text[:half]})
        + event("delta", {"text": payload.text[half:]})
        + event("source", source)
        + event("done", {"response_id": "resp_xss", "usage": {}})
    )
    scripted.replies[:] = [Reply(chunks=[stream.encode()], pause=0)]
    events = ask_and_capture(scripted_page, payload.question)
    answer = "".join(data["text"] for name, data in events if name == "delta")
    assert payload.text in answer, f"{payload} did not reach the browser intact: {answer!r}"

    problems = check_page(scripted_page, payload)
    assert not problems, f"{payload}\n" + "\n".join(problems)


# The detector detects: the same checks, against a widget whose renderer is made unsafe in
# the browser only (relay/widget/widget.js is not touched), must catch each kind of failure.
UNSAFE_RENDER = ("body.append(markdown(m.t))", "body.insertAdjacentHTML('beforeend', m.t)")
CONTROLS = {
    "xss02": "flags set on window: ['xss02']",  # an onerror handler that ran
    "xss13": "URL attributes with other schemes: ['EMBED@src=data:text/html,",
    "xss78": "link with a forbidden scheme: 'javascript:window.xss78=1'",
    "xss43": "not shown verbatim as text",  # swallowed as an unknown element
}


@pytest.mark.parametrize("flag", sorted(CONTROLS))
def test_checks_catch_an_unsafe_renderer(browser: Any, scripted: FakeRelay, flag: str) -> None:
    source = WIDGET.read_text()
    assert UNSAFE_RENDER[0] in source, "the negative control no longer patches the widget"
    payload = next(p for p in CORPUS if p.flag == flag)
    stream = event("delta", {"text": payload.text}) + event("done", {})
    scripted.replies[:] = [Reply(chunks=[stream.encode()], pause=0)]
    watch = Watch(browser, scripted.url, widget=source.replace(*UNSAFE_RENDER))
    try:
        ask_and_capture(watch, payload.question)
        problems = check_page(watch, payload)
    finally:
        watch.close()
    assert any(CONTROLS[flag] in problem for problem in problems), problems
