"""What the real ``file_search`` accepts, as the sandbox enforces it at attach time.

The sandbox plays OpenAI and knows nothing of kbsync: this is OpenAI's table, kept here
on its own so that the sandbox stands alone. ``kbcore.formats`` is kbsync's side of the
same fact (what ``kbsync validate`` refuses before anything is sent); a test checks that
the two agree.
"""

from __future__ import annotations

# https://platform.openai.com/docs/assistants/tools/file-search#supported-files
SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".c", ".cpp", ".cs", ".css", ".doc", ".docx", ".go", ".html", ".java", ".js",
        ".json", ".md", ".pdf", ".php", ".pptx", ".py", ".rb", ".sh", ".tex", ".ts", ".txt",
    }
)  # fmt: skip

TEXT_EXTENSIONS: frozenset[str] = SUPPORTED_EXTENSIONS - {".doc", ".docx", ".pdf", ".pptx"}
