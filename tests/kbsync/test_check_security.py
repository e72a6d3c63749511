"""``kbsync check`` names the API it checks without its credentials (issue 23, finding
12): an ``OPENAI_BASE_URL`` carrying ``user:password@`` (a proxy's login) or a key in
its query is shown redacted, in CI logs too."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.servers import Server
from tests.kbsync._helpers import kbsync, write_kb

SETTINGS = "name: test\nmodel: gpt-5.4-mini\n"


@pytest.mark.parametrize(
    ("login", "query"),
    [("proxyuser:pr0xy-pa55word@", ""), ("pr0xy-pa55word@", ""), ("", "?api-key=pr0xy-pa55word")],
    ids=["user-and-password", "token-as-user", "key-in-query"],
)
def test_check_never_prints_credentials_of_the_base_url(
    tmp_path: Path,
    sandbox: Server,
    base_url: str,
    monkeypatch: pytest.MonkeyPatch,
    login: str,
    query: str,
) -> None:
    monkeypatch.setenv("CI", "true")
    scheme, rest = base_url.split("://", 1)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{scheme}://{login}{rest}{query}")
    kb = write_kb(tmp_path, {"a.md": "alpha"}, SETTINGS)
    result = kbsync("check", "--kb", str(kb))
    assert "pr0xy-pa55word" not in result.output
    assert "proxyuser" not in result.output
    host = rest.split("/", 1)[0]
    assert f"Checking knowledge base test on {scheme}://" in result.output
    shown = f"{scheme}://***@{host}/v1" if login else "api-key=***"
    assert shown in result.output
