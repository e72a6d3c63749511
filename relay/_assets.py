"""The files the relay serves (the widget, the demo page) and the names that pin them.

The widget is served at ``/widget.js`` and at a content-addressed URL,
``/widget/<first 16 hex of its sha256>.js``, so a site can embed it with an
``integrity`` hash (``sha384``) that the browser checks: a changed byte is refused.
Files are re-read only when they change on disk.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from kbcore.defaults import RELAY_URL

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
DEFAULT_PUBLIC_URL = RELAY_URL

# The demo page's template marks where the pinned widget's URL and hash go.
_WIDGET_SRC = "{{widget_src}}"
_WIDGET_INTEGRITY = "{{widget_integrity}}"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    mtime_ns: int

    @property
    def sha(self) -> str:
        """The content address: the first 16 hex digits of the sha256 of the bytes."""
        return hashlib.sha256(self.body).hexdigest()[:16]

    @property
    def integrity(self) -> str:
        """The Subresource Integrity value browsers check (``sha384-<base64>``)."""
        return "sha384-" + base64.b64encode(hashlib.sha384(self.body).digest()).decode()


_cache: dict[Path, Asset] = {}


def load(path: Path) -> Asset | None:
    """The file's bytes and ETag, re-read only when it changes on disk; ``None`` if absent."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = _cache.get(path)
    if cached is None or cached.mtime_ns != mtime_ns:
        try:
            body = path.read_bytes()
        except OSError:
            return None
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cached = _cache[path] = Asset(body, etag, mtime_ns)
    return cached


def widget(widget_dir: Path = WIDGET_DIR) -> Asset | None:
    return load(widget_dir / "widget.js")


def widget_path(asset: Asset, base_url: str = "") -> str:
    return f"{base_url.rstrip('/')}/widget/{asset.sha}.js"


def embed_line(asset: Asset, public_url: str) -> str:
    """The ``<script>`` line a site pastes to embed this exact widget."""
    url = public_url.rstrip("/")
    return (
        f'<script src="{widget_path(asset, url)}" data-api="{url}/api" '
        f'integrity="{asset.integrity}" crossorigin="anonymous" defer></script>'
    )


@dataclass(frozen=True)
class DemoPage:
    body: bytes
    etag: str
    csp: str


def demo_page(widget_dir: Path = WIDGET_DIR) -> DemoPage | None:
    """The demo page with the pinned widget filled in, and its Content-Security-Policy:
    no inline script, no eval; scripts and requests to this origin only; its one
    ``<style>`` block allowed by its hash."""
    template, script = load(widget_dir / "demo.html"), widget(widget_dir)
    if template is None or script is None:
        return None
    html = (
        template.body.decode()
        .replace(_WIDGET_SRC, widget_path(script))
        .replace(_WIDGET_INTEGRITY, script.integrity)
    )
    styles = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
        for css in _STYLE.findall(html)
    )
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            f"style-src 'self' {styles}".rstrip(),
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    body = html.encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return DemoPage(body, etag, csp)
