"""What ``file_search`` accepts: the one list of supported extensions and the size limit.

Both ``kbsync validate`` (which refuses a document before anything is sent) and the
sandbox (which refuses it at attach time, as the real API does) read it from here.
"""

from __future__ import annotations

# https://platform.openai.com/docs/assistants/tools/file-search#supported-files
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".c", ".cpp", ".cs", ".css", ".doc", ".docx", ".go", ".html", ".java", ".js",
        ".json", ".md", ".pdf", ".php", ".pptx", ".py", ".rb", ".sh", ".tex", ".ts", ".txt",
    }
)  # fmt: skip

# Extensions whose bytes are text; they must decode as UTF-8 or UTF-16.
TEXT_EXTENSIONS: frozenset[str] = SUPPORTED_EXTENSIONS - {".doc", ".docx", ".pdf", ".pptx"}

MAX_FILE_BYTES = 512 * 1024 * 1024
