"""A minimal upstream for throughput runs: replays one pre-rendered Responses stream.

    python bench/_replay.py PORT STREAM_FILE STORE_ID KB_NAME [SLOW_FILE DELAY_MS]

Answers ``POST /v1/responses`` with the bytes of STREAM_FILE (a real sandbox stream,
rendered once) or, when the question starts with "slow", with SLOW_FILE's events
spaced DELAY_MS apart (a model producing tokens, at no CPU cost to this server);
``POST /v1/conversations`` and ``GET /v1/vector_stores/STORE_ID`` with canned JSON,
any other GET with ``{}``. Plain asyncio sockets, HTTP/1.1 keep-alive,
chunked bodies: so that the upstream is never the bottleneck being measured.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path


def _response(status: str, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def _chunks(stream: bytes) -> list[bytes]:
    # One chunk per SSE event, as a streaming server sends them.
    return [
        b"%x\r\n%s\n\n\r\n" % (len(event) + 2, event)
        for event in stream.split(b"\n\n")
        if event.strip()
    ]


def _chunked_stream(stream: bytes) -> bytes:
    return _HEAD + b"".join(_chunks(stream)) + b"0\r\n\r\n"


async def main(
    port: int, stream_file: Path, store_id: str, kb_name: str, slow: Path | None, delay: float
) -> None:
    answer = _chunked_stream(stream_file.read_bytes())
    slow_chunks = _chunks(slow.read_bytes()) if slow else []
    store = json.dumps(
        {"id": store_id, "object": "vector_store", "created_at": 1, "name": f"kb:{kb_name}",
         "usage_bytes": 0, "file_counts": {"in_progress": 0, "completed": 3, "failed": 0,
         "cancelled": 0, "total": 3}, "status": "completed", "metadata": {"kb_name": kb_name},
         "last_active_at": 1, "expires_after": None, "expires_at": None}
    ).encode()  # fmt: skip
    counter = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal counter
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                if (
                    method == "POST"
                    and path.startswith("/v1/responses")
                    and (slow_chunks and b'"input":"slow' in body)
                ):
                    writer.write(_HEAD)
                    for chunk in slow_chunks:
                        if b"output_text.delta" in chunk:
                            await asyncio.sleep(delay)
                        writer.write(chunk)
                    writer.write(b"0\r\n\r\n")
                elif method == "POST" and path.startswith("/v1/responses"):
                    writer.write(answer)
                elif method == "POST" and path.startswith("/v1/conversations"):
                    counter += 1
                    body = json.dumps(
                        {"id": f"conv_{counter:016x}", "object": "conversation",
                         "created_at": 1, "metadata": {}}
                    ).encode()  # fmt: skip
                    writer.write(_response("200 OK", body, "application/json"))
                elif path.startswith(f"/v1/vector_stores/{store_id}"):
                    writer.write(_response("200 OK", store, "application/json"))
                else:
                    writer.write(_response("200 OK", b"{}", "application/json"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    slow = Path(sys.argv[5]) if len(sys.argv) > 6 else None
    delay = int(sys.argv[6]) / 1000 if len(sys.argv) > 6 else 0.0
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], slow, delay))
