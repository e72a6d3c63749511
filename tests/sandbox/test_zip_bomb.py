"""Issue 12 item 9 (sandbox part): a zip bomb in a .docx or .pptx must not exhaust the
sandbox's memory. It is refused while being read (``failed``, ``invalid_file``), and the
sandbox's peak memory barely moves."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openai

from testing.sandbox import API_KEY
from testing.servers import Server, sandbox_server
from tests.sandbox.conftest import make_docx, wait_processed

BOMB_BYTES = 512 * 1024 * 1024  # what the archive inflates to
_MIB = 1024 * 1024


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate of ``size`` zero bytes, made in pieces (a few MB of output), and its CRC."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = bytes(_MIB)
    crc = 0
    out = bytearray()
    for _ in range(size // _MIB):
        out += squeeze.compress(piece)
        crc = zlib.crc32(piece, crc)
    out += squeeze.flush()
    return bytes(out), crc


def bomb(template: bytes, member: str) -> bytes:
    """``template`` (a real .docx/.pptx) with ``member`` replaced by a zip bomb, its
    sizes declared truthfully (python's zipfile would refuse a lie on its own)."""
    deflated, crc = _deflated_zeros(BOMB_BYTES)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != member:
                target.writestr(info, source.read(info.filename))
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        # write the pre-deflated bytes as they are: a ZipInfo with the true sizes and CRC
        info.file_size, info.compress_size, info.CRC = BOMB_BYTES, len(deflated), crc
        target.fp.write(info.FileHeader(zip64=True))  # type: ignore[union-attr]
        header_offset = target.start_dir
        info.header_offset = header_offset
        target.fp.write(deflated)  # type: ignore[union-attr]
        target.start_dir = target.fp.tell()  # type: ignore[union-attr]
        target.filelist.append(info)
        target.NameToInfo[member] = info
        target._didModify = True
    return out.getvalue()


def _pptx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/slides/slide1.xml", "<p:sld><a:t>Hello</a:t></p:sld>")
    return out.getvalue()


def _peak_rss_mib(server: Server) -> float:
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


def test_zip_bomb_in_docx_and_pptx_is_bounded(tmp_path: Path) -> None:
    files = {
        "bomb.docx": bomb(make_docx(["A real paragraph."]), "word/document.xml"),
        "bomb.pptx": bomb(_pptx(), "ppt/slides/slide1.xml"),
    }
    assert all(len(data) < 4 * _MIB for data in files.values())
    with sandbox_server(tmp_path / "sandbox.log") as server:
        client: Any = openai.OpenAI(
            api_key=API_KEY, base_url=server.url + "/v1", max_retries=0, timeout=60
        )
        vs = client.vector_stores.create(name="bombs")
        fine = client.files.create(file=("fine.docx", make_docx(["Fine."])), purpose="assistants")
        client.vector_stores.files.create_and_poll(
            vector_store_id=vs.id, file_id=fine.id, poll_interval_ms=20
        )
        before = _peak_rss_mib(server)
        results = []
        for name, data in files.items():
            uploaded = client.files.create(file=(name, data), purpose="assistants")
            client.vector_stores.files.create(vector_store_id=vs.id, file_id=uploaded.id)
            results.append((name, wait_processed(client, vs.id, uploaded.id, timeout=60)))
        grown = _peak_rss_mib(server) - before
        client.close()
    assert grown < 128, f"the sandbox's peak memory grew by {grown:.0f} MiB"
    for name, result in results:
        assert result.status == "failed", name
        assert result.last_error.code == "invalid_file", name
        assert "uncompressed" in result.last_error.message, result.last_error.message
