"""The demo page declares its icon inline, so a browser asks for no ``/favicon.ico``
(a 404 in the console of everyone's first look; issue 24 item 9)."""

from __future__ import annotations

import re

from relay._assets import demo_page


def test_the_demo_page_declares_an_inline_icon_its_policy_allows() -> None:
    page = demo_page()
    assert page is not None
    head = page.body.decode().split("</head>")[0]
    assert re.findall(r"<link rel=\"icon\" href=\"([^\"]*)\">", head) == ["data:,"]
    assert "img-src 'self' data:" in page.csp.split("; ")
