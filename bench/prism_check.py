"""The sandbox behind Stoplight Prism's validating proxy over the full official OpenAPI spec.

    .venv/bin/python bench/prism_check.py /tmp/openapi.json [--prism PATH] [--errors]

Needs node and Prism (``npm install @stoplight/prism-cli`` in any folder; pass its
``node_modules/.bin/prism``, else ``npx --no-install prism`` is used). Not part of
``make test``: the spec is 3.4 MB and is not in the repository (see bench/RESULTS.md for
where it comes from).

Starts the sandbox and ``prism proxy SPEC http://127.0.0.1:SANDBOX/v1`` on free loopback
ports, then drives the project's own flows through Prism with the official SDK
(``OPENAI_BASE_URL=http://127.0.0.1:PRISM``: Prism matches the spec's paths, which start
after the server URL's ``/v1``, and appends them to the upstream URL):

- ``kbsync --kb COPY --yes``: files, a vector store, a file batch and its files;
- ``kbsync eval --kb COPY --answers``: searches and streamed file_search responses;
- ``kbsync check --kb COPY``: models, a temporary store, one answer, the deletes;
- conversations and function calls (``conversation_flow`` below).

Prism validates every request and response against the spec. By default it only logs a
violation (``Violation: ...``) so that one does not stop a flow and hide the next;
``--errors`` makes an error-severity violation fail the request (Prism answers 422 or
500 instead), which fails every streamed answer (below) and so ends most flows early.
Prints the requests Prism received and each distinct violation with its count, in three
groups:

- errors on ``text/event-stream`` bodies: Prism does not parse SSE; it validates the
  whole stream text as one value against ``ResponseStreamEvent`` (an ``anyOf`` of
  objects), so every stream fails. The streams this script asks for itself are checked
  here instead, event by event (``StreamCheck``);
- warnings: e.g. a 404 on an operation whose spec lists only 200 and 429;
- other errors: the sandbox's own.

Exits 1 when there is another error or a stream event that fails the spec. Known: Prism
re-encodes a multipart body as UTF-8 text, so a binary upload (the KB's PDF and DOCX)
arrives corrupted (U+FFFD for every invalid byte); processing those files fails and the
sync and eval flows exit 1 (UTF-8 text files arrive intact). Logs go to ``--log-dir``
(default: a temp dir).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from openai import APIStatusError, OpenAI
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from answer._request import CONTACT_FORM_TOOL, OFFER_CONTACT_FORM
from testing.servers import ROOT, free_port, sandbox_server
from testing.waiting import wait_for

LISTENING = "Prism is listening"
RECEIVED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request received")
VIOLATION = re.compile(r"(error|warning)\s+Violation: (.*)$")
UPSTREAM = re.compile(r"The upstream call to (\S+) has returned (\d+)")
TERMINATED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request terminated with error: (.*)$")
STREAM_BODY = re.compile(
    r"error: POST /responses(?: → 200)?: response\.body Response body must "
    r"(?:be object|match a schema in anyOf)$"
)
_URI = "urn:openai-spec"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
IDS = re.compile(r"\b(vs|file|vsfb|resp|conv|msg|fc|fs|ws|rs)([_-])[0-9a-f]{8,}\b")


@contextmanager
def prism_proxy(command: list[str], log: Path) -> Iterator[None]:
    """Run Prism until the block ends; ready once it logs that it listens (a probe request
    would be one more line to count)."""
    with log.open("wb") as sink:
        # its own process group: npx runs prism as a child, and both must stop
        proc = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for(
                lambda: proc.poll() is not None or LISTENING in log.read_text(errors="replace"),
                timeout=180,
                what="prism to listen",
            )
            if proc.poll() is not None:
                raise SystemExit(f"prism exited with code {proc.returncode}; see {log}")
            yield
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class StreamCheck:
    """Prism validates a ``text/event-stream`` body as one JSON value (it does not parse
    SSE), so the streams this script asks for are checked here instead: every event's
    ``data`` against the spec's ``ResponseStreamEvent``."""

    def __init__(self, spec: dict[str, Any]) -> None:
        registry: Registry[Any] = Registry().with_resource(_URI, DRAFT202012.create_resource(spec))
        self._validator = Draft202012Validator(
            {"$ref": f"{_URI}#/components/schemas/ResponseStreamEvent"}, registry=registry
        )
        self.events: Counter[str] = Counter()
        self.violations: Counter[str] = Counter()

    def stream(self, client: OpenAI, **params: Any) -> list[dict[str, Any]]:
        """POST /responses with ``stream: true``; its events, each one checked."""
        events = []
        with client.responses.with_streaming_response.create(stream=True, **params) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                events.append(event)
                kind = str(event.get("type"))
                self.events[kind] += 1
                for error in self._validator.iter_errors(event):
                    where = "/".join(map(str, error.absolute_path)) or "<root>"
                    self.violations[f"{kind} {where}: {error.message[:200]}"] += 1
        return events


def conversation_flow(client: OpenAI, model: str, store_id: str, check: StreamCheck) -> None:
    """A conversation with items, a function call answered with its output, streamed."""
    conv = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "Hello"}],
        metadata={"source": "prism"},
    )
    client.conversations.retrieve(conv.id)
    client.conversations.update(conv.id, metadata={"source": "prism", "step": "2"})
    client.conversations.items.create(
        conv.id,
        items=[{"type": "message", "role": "assistant", "content": "Hi! How can I help?"}],
    )
    listed = client.conversations.items.list(conv.id, order="asc")
    client.conversations.items.retrieve(str(listed.data[0].id), conversation_id=conv.id)
    tools: Any = [
        {"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 4},
        CONTACT_FORM_TOOL,
    ]
    called = client.responses.create(
        model=model,
        conversation=conv.id,
        input="Please call me back, my name is Anna, +7 917 255 45 67",
        tools=tools,
        include=["file_search_call.results"],
    )
    calls = [item for item in called.output if item.type == "function_call"]
    if not calls or calls[0].name != OFFER_CONTACT_FORM:
        raise SystemExit(f"expected a call to {OFFER_CONTACT_FORM}, got {called.output!r}")
    check.stream(
        client,
        model=model,
        conversation=conv.id,
        input=[
            {
                "type": "function_call_output",
                "call_id": calls[0].call_id,
                "output": json.dumps({"status": "saved"}),
            },
            {"type": "message", "role": "user", "content": "Do you have a pool?"},
        ],
        tools=tools,
        include=["file_search_call.results"],
    )
    # a streamed call (function_call_arguments.* events), then its output, streamed
    streamed = check.stream(
        client,
        model=model,
        conversation=conv.id,
        input="I would like to sign up, my e-mail is anna@example.com",
        tools=tools,
    )
    done = [e["item"] for e in streamed if e["type"] == "response.output_item.done"]
    call_id = next(item["call_id"] for item in done if item["type"] == "function_call")
    check.stream(
        client,
        model=model,
        conversation=conv.id,
        input=[{"type": "function_call_output", "call_id": call_id, "output": "{}"}],
        tools=tools,
    )
    client.conversations.items.list(conv.id, order="desc", limit=5)
    # a chain by previous_response_id, then what it stored
    first = client.responses.create(model=model, input="What are the opening hours?", tools=tools)
    second = client.responses.create(
        model=model, input="And on Sunday?", previous_response_id=first.id, tools=tools
    )
    client.responses.retrieve(second.id)
    client.responses.input_items.list(second.id)
    client.responses.delete(first.id)
    client.conversations.delete(conv.id)


def store_flow(client: OpenAI, store_id: str) -> None:
    """Reads a sync does not make: a search with a filter, one file's content."""
    client.vector_stores.retrieve(store_id)
    client.vector_stores.search(
        store_id,
        query="pool opening hours",
        filters={"type": "eq", "key": "lang", "value": "en"},
        max_num_results=5,
    )
    files = client.vector_stores.files.list(store_id, limit=5, filter="completed")
    for vs_file in files.data[:1]:
        client.vector_stores.files.retrieve(vs_file.id, vector_store_id=store_id)
        client.vector_stores.files.content(vs_file.id, vector_store_id=store_id)
        client.files.retrieve(vs_file.id)
    client.files.list(purpose="assistants", limit=5)
    client.models.list()


def write_flow(client: OpenAI) -> None:
    """Writes a sync makes rarely: one file attached alone with a static chunking
    strategy, a batch with per-file attributes, cancel, updates, deletes."""
    store = client.vector_stores.create(name="prism-check", metadata={"by": "prism"})
    client.vector_stores.update(store.id, name="prism-check-2", metadata={"by": "prism", "n": "2"})
    one = client.files.create(
        file=("one.md", b"# One\n\nThe pool opens at 7.\n"), purpose="assistants"
    )
    two = client.files.create(
        file=("two.md", b"# Two\n\nThe gym opens at 6.\n"), purpose="assistants"
    )
    client.vector_stores.files.create(
        store.id,
        file_id=one.id,
        attributes={"lang": "en", "path": "one.md"},
        chunking_strategy={
            "type": "static",
            "static": {"max_chunk_size_tokens": 400, "chunk_overlap_tokens": 100},
        },
    )
    batch = client.vector_stores.file_batches.create(
        store.id, files=[{"file_id": two.id, "attributes": {"lang": "en", "path": "two.md"}}]
    )
    client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    client.vector_stores.files.update(one.id, vector_store_id=store.id, attributes={"lang": "ru"})
    client.vector_stores.files.list(store.id, order="desc", limit=1)
    client.vector_stores.files.delete(one.id, vector_store_id=store.id)
    client.files.delete(one.id)
    client.files.delete(two.id)
    client.vector_stores.delete(store.id)
    conv = client.conversations.create()
    added = client.conversations.items.create(
        conv.id, items=[{"type": "message", "role": "user", "content": "Hi"}]
    )
    client.conversations.items.delete(str(added.data[0].id), conversation_id=conv.id)
    client.conversations.delete(conv.id)


def error_flow(client: OpenAI) -> None:
    """The sandbox's error answers: not found (404) and a refused parameter (400)."""
    calls: list[Callable[[], object]] = [
        lambda: client.files.retrieve("file-missing"),
        lambda: client.vector_stores.retrieve("vs_missing"),
        lambda: client.responses.retrieve("resp_missing"),
        lambda: client.conversations.retrieve("conv_missing"),
        lambda: client.models.retrieve("no-such-model"),
        lambda: client.responses.create(model="no-such-model", input="Hi"),
    ]
    for call in calls:
        try:
            call()
        except APIStatusError:
            continue
        raise SystemExit("expected an error status from the sandbox")


def run_flows(base_url: str, work: Path, log: Path, check: StreamCheck) -> list[tuple[str, int]]:
    """Each flow's name and exit code (a flow's failure is reported, not fatal)."""
    kb = work / "kb"
    shutil.copytree(ROOT / "kb", kb)
    env = {**os.environ, "OPENAI_API_KEY": "sk-prism", "OPENAI_BASE_URL": base_url}
    env.pop("OPENAI_PROJECT", None)
    kbsync = [sys.executable, "-m", "kbsync"]
    results = []
    with log.open("ab") as sink:
        for name, args in (
            ("sync", ["--kb", str(kb), "--yes"]),
            ("eval --answers", ["eval", "--kb", str(kb), "--answers"]),
            ("check", ["check", "--kb", str(kb)]),
        ):
            sink.write(f"\n== kbsync {name}\n".encode())
            sink.flush()
            code = subprocess.run(
                [*kbsync, *args], env=env, cwd=work, stdout=sink, stderr=sink, check=False
            ).returncode
            results.append((f"kbsync {name}", code))
    client = OpenAI(api_key="sk-prism", base_url=base_url, max_retries=0, timeout=60)
    stores = [s for s in client.vector_stores.list(limit=100).data if s.name == "kb:clubsante"]
    if not stores:
        return [*results, ("the sync made no store: the other flows did not run", 1)]
    model, store_id = "gpt-5.4-mini", stores[0].id
    flows: list[tuple[str, Callable[[], None]]] = [
        ("conversations + tools", lambda: conversation_flow(client, model, store_id, check)),
        ("store reads", lambda: store_flow(client, store_id)),
        ("store writes", lambda: write_flow(client)),
        ("errors", lambda: error_flow(client)),
    ]
    for name, flow in flows:
        try:
            flow()
            results.append((name, 0))
        except Exception as error:  # reported with the flow's name; the run goes on
            with log.open("a") as sink:
                sink.write(f"\n== {name}: {type(error).__name__}: {error}\n")
            results.append((name, 1))
    return results


def read_log(text: str) -> tuple[int, Counter[str]]:
    """Requests Prism received and its violations, each labelled with the request it
    follows (ids folded so that equal violations group)."""
    requests = 0
    found: Counter[str] = Counter()
    methods: dict[str, str] = {}
    route = ""
    for raw in text.splitlines():
        line = ANSI.sub("", raw)
        if received := RECEIVED.search(line):
            requests += 1
            path = IDS.sub(r"\1\2…", received[2].split("?")[0])
            methods[path] = received[1].upper()
            route = f"{methods[path]} {path}"
        elif upstream := UPSTREAM.search(line):  # a response's violations follow this line
            path = IDS.sub(r"\1\2…", upstream[1])
            route = f"{methods.get(path, '?')} {path} → {upstream[2]}"
        elif violation := VIOLATION.search(line):
            found[f"{violation[1]}: {route}: {violation[2].strip()}"] += 1
        elif terminated := TERMINATED.search(line):
            path = IDS.sub(r"\1\2…", terminated[2].split("?")[0])
            found[f"error: {terminated[1].upper()} {path}: {terminated[3].strip()}"] += 1
    return requests, found


def is_stream_body(violation: str) -> bool:
    """Prism's verdict on a streamed answer: it validates the whole ``text/event-stream``
    text as one value against ``ResponseStreamEvent`` (an ``anyOf`` of objects), so every
    stream fails with one ``anyOf`` line plus one ``must be object`` per member."""
    return STREAM_BODY.match(violation) is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="the full openapi.json")
    parser.add_argument("--prism", help="the prism binary (default: npx --no-install prism)")
    parser.add_argument("--errors", action="store_true", help="fail requests on a violation")
    parser.add_argument("--log-dir", type=Path, help="keep Prism's and the flows' logs here")
    args = parser.parse_args()
    prism = [args.prism] if args.prism else ["npx", "--no-install", "prism"]
    check = StreamCheck(json.loads(args.spec.read_text()))
    work = Path(tempfile.mkdtemp(prefix="prism-check-"))
    logs = args.log_dir or work
    logs.mkdir(parents=True, exist_ok=True)
    prism_log, flows_log = logs / "prism.log", logs / "flows.log"
    flows_log.write_text("")
    with sandbox_server(logs / "sandbox.log") as sandbox:
        port = free_port()
        command = [*prism, "proxy", str(args.spec.resolve()), f"{sandbox.url}/v1"]
        command += ["--port", str(port), *(["--errors"] if args.errors else [])]
        with prism_proxy(command, prism_log):
            results = run_flows(f"http://127.0.0.1:{port}", work, flows_log, check)
    requests, found = read_log(prism_log.read_text(errors="replace"))
    for name, code in results:
        print(f"flow {name}: exit {code}")
    mode = "--errors" if args.errors else "log only"
    print(f"spec: {args.spec} ({mode}); logs: {logs}")
    print(f"requests through prism: {requests}")
    streams = Counter({text: n for text, n in found.items() if is_stream_body(text)})
    warnings = Counter({text: n for text, n in found.items() if text.startswith("warning: ")})
    others = found - streams - warnings
    print(f"violations: {found.total()}")
    print(f"  errors on text/event-stream bodies (Prism cannot parse SSE): {streams.total()}")
    print(f"  warnings (e.g. an error status the spec does not list): {warnings.total()}")
    print(f"  other errors: {others.total()}")
    for text, count in found.most_common():
        print(f"  {count:4d} × {text}")
    print(f"stream events checked here: {check.events.total()} ({len(check.events)} types)")
    print("  " + ", ".join(sorted(check.events)))
    print(f"stream event violations: {check.violations.total()}")
    for text, count in check.violations.most_common():
        print(f"  {count:4d} × {text}")
    return 1 if others or check.violations else 0


if __name__ == "__main__":
    sys.exit(main())
