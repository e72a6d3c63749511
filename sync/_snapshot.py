"""The bytes of a document exactly as they were hashed, for its upload.

A file can change between loading (hashing) and uploading: an editor still saving a
large file, a ``git pull``. Uploading it from disk would send other bytes than the
``kb_sha256`` the store records (or, if it grows meanwhile, more bytes than the
declared ``Content-Length``). So the upload reads the file once into a snapshot,
hashing as it copies, and sends the snapshot only when its hash is the one planned;
otherwise the document fails for this run with one sentence, and the next run (or
``kbsync watch``'s next cycle, once the file is quiet) sends it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from kbcore.errors import RemoteError
from kbcore.kb import Document, open_document
from kbcore.output import display_path

IN_MEMORY = 8 * 1024 * 1024  # bytes; a larger document is copied to a temporary file
_CHUNK = 1024 * 1024


class ChangedSinceHashed(RemoteError):
    """The file's bytes are no longer the ones planned (it is still being written)."""


@contextmanager
def snapshot(document: Document) -> Iterator[BinaryIO]:
    """The document's planned bytes as a seekable stream at offset 0, or
    ``ChangedSinceHashed`` when the file holds other bytes now."""
    with (
        tempfile.SpooledTemporaryFile(max_size=IN_MEMORY) as copy,
        open_document(document.abs_path) as source,
    ):
        digest = hashlib.sha256()
        copied = 0
        while copied <= document.size:  # one byte past the size is enough to see growth
            chunk = source.read(min(_CHUNK, document.size + 1 - copied))
            if not chunk:
                break
            digest.update(chunk)
            copy.write(chunk)
            copied += len(chunk)
        if copied != document.size or digest.hexdigest() != document.sha256:
            raise ChangedSinceHashed(
                f"{display_path(document.abs_path)} changed after it was read for this run "
                "(still being written?); it is sent once it stops changing."
            )
        copy.seek(0)
        yield copy  # type: ignore[misc]
