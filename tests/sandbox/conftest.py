"""Fixtures for the files / vector-stores half of the sandbox tests."""

from __future__ import annotations

import gc
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from testing.waiting import wait_for


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose page shows ``text`` (ASCII) in Helvetica."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


Upload = Callable[..., Any]


@pytest.fixture
def upload(client: Any) -> Upload:
    """``upload(name, data)`` → the SDK's FileObject (purpose ``assistants``)."""

    def run(name: str, data: bytes | str, purpose: str = "assistants") -> Any:
        raw = data.encode() if isinstance(data, str) else data
        return client.files.create(file=(name, raw), purpose=purpose)

    return run


def wait_processed(client: Any, vector_store_id: str, file_id: str, timeout: float = 20) -> Any:
    """The vector-store file once it has left ``in_progress``."""

    def settled() -> Any:
        obj = client.vector_stores.files.retrieve(file_id, vector_store_id=vector_store_id)
        return obj if obj.status != "in_progress" else None

    return wait_for(settled, timeout=timeout, what=f"{file_id} to leave in_progress")


def raw_json(response: Any) -> Any:
    """The JSON body of an SDK ``with_raw_response`` call, exactly as sent on the wire."""
    return response.http_response.json()


@pytest.fixture(autouse=True)
def _finalize_leaked_async_clients(request: pytest.FixtureRequest) -> None:
    """An ``AsyncOpenAI`` left to the garbage collector closes itself on whatever event
    loop is running then; in a later async test that is the wrong loop, and the test
    fails. Collect such leftovers here, before that test's loop starts."""
    if request.node.get_closest_marker("anyio") is not None:
        gc.collect()


@pytest.fixture
async def aclosing_client(base_url: str) -> AsyncIterator[Any]:
    """An async SDK client closed on the test's own loop (unlike the shared ``aclient``)."""
    import openai

    from testing.sandbox import API_KEY

    async with openai.AsyncOpenAI(
        api_key=API_KEY, base_url=base_url, max_retries=0, timeout=10
    ) as client:
        yield client
