"""What ``file_search`` accepts: the supported extensions with their MIME types, and the
size limit.

``kbsync validate`` refuses a document before anything is sent from here; the sandbox,
which stands alone, refuses it at attach time (as the real API does) from its own copy of
OpenAI's table, ``sandbox/_formats.py``, which ``tests/sandbox/test_formats_agree.py`` holds
equal to this one. An upload is sent with the MIME type listed here, never one guessed
by the platform (``mimetypes`` answers differently on Debian, macOS and Windows, and not at
all for some).
"""

from __future__ import annotations

from pathlib import PurePosixPath

# OpenAI's "Supported files" table for file search, extension → MIME type, as documented:
# https://platform.openai.com/docs/guides/tools-file-search#supported-files
# (formerly https://platform.openai.com/docs/assistants/tools/file-search#supported-files).
# For .py the table lists both text/x-python and text/x-script.python; the first is used.
MIME_TYPES: dict[str, str] = {
    ".c": "text/x-c",
    ".cpp": "text/x-c++",
    ".cs": "text/x-csharp",
    ".css": "text/css",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".go": "text/x-golang",
    ".html": "text/html",
    ".java": "text/x-java",
    ".js": "text/javascript",
    ".json": "application/json",
    ".md": "text/markdown",
    ".pdf": "application/pdf",
    ".php": "text/x-php",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".py": "text/x-python",
    ".rb": "text/x-ruby",
    ".sh": "application/x-sh",
    ".tex": "text/x-tex",
    ".ts": "application/typescript",
    ".txt": "text/plain",
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(MIME_TYPES)

# Extensions whose bytes are text; they must decode as UTF-8 or UTF-16.
TEXT_EXTENSIONS: frozenset[str] = SUPPORTED_EXTENSIONS - {".doc", ".docx", ".pdf", ".pptx"}

MAX_FILE_BYTES = 512 * 1024 * 1024

# "The Assistants API supports files up to 2 million tokens" (OpenAI's API reference,
# POST /v1/files); a document over it fails processing in the vector store.
MAX_FILE_TOKENS = 2_000_000
# An estimate from the size alone: about 4 bytes of UTF-8 per token in English
# (Cyrillic takes 2 bytes a letter and about as many letters fewer per token).
BYTES_PER_TOKEN = 4


def mime_type(name: str) -> str:
    """The MIME type OpenAI lists for ``name``'s extension (any case); ``KeyError`` if none."""
    return MIME_TYPES[PurePosixPath(name).suffix.lower()]
