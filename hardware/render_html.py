"""Render a ticket layout as an HTML fragment for on-screen previews.

The fragment is safe to insert into a page: every text is escaped, styling is
done with classes only (no inline styles, so a strict Content-Security-Policy
holds), and the QR code is an inline SVG drawn from the `qrcode` package's
module matrix.  `TICKET_PREVIEW_CSS` styles the classes (the preview page serves it).
"""

from __future__ import annotations

import base64
import io
import logging
from html import escape
from typing import Iterable

from hardware.layout import QR, BigNumber, Block, Cut, Feed, Logo, Rule, Text

log = logging.getLogger(__name__)

TICKET_PREVIEW_CSS = """
.ticket-preview { width: 20rem; padding: 1rem; background: #fff; color: #000;
  font-family: "DejaVu Sans Mono", monospace; border: 1px solid #ccc; }
.ticket-preview p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.tp-left { text-align: left; } .tp-center { text-align: center; } .tp-right { text-align: right; }
.tp-bold { font-weight: bold; }
.tp-h2 { font-size: 1.6em; } .tp-h3, .tp-h4 { font-size: 2.2em; } .tp-h5, .tp-h6, .tp-h7, .tp-h8 { font-size: 3em; }
.tp-number { text-align: center; font-weight: bold; font-size: 4em; line-height: 1.1; }
.tp-qr { text-align: center; } .tp-qr svg { width: 8rem; height: 8rem; }
.tp-logo { text-align: center; } .tp-logo img { max-width: 100%; }
.tp-rule { border: 0; border-top: 1px solid #000; }
.tp-feed { height: 1em; }
.tp-cut { border-top: 1px dashed #888; margin-top: 1rem; }
"""


def qr_svg(payload: str) -> str:
    """Return an inline SVG QR code for `payload` (error correction M, 4-module quiet zone)."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x} {y}h1v1h-1z"
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    )
    title = escape(f"QR code: {payload}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{title}" shape-rendering="crispEdges"><title>{title}</title>'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>'
    )


def _logo_img(path: str) -> str:
    from PIL import Image

    try:
        with Image.open(path) as source:
            logo = source.convert("RGBA")
    except (OSError, ValueError) as exc:
        log.warning("logo %s not shown in preview: %s", path, exc)
        return ""
    if logo.width > 576:
        logo = logo.resize((576, max(1, logo.height * 576 // logo.width)))
    buffer = io.BytesIO()
    logo.save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<div class="tp-logo"><img src="data:image/png;base64,{data}" alt=""></div>'


def render_html(blocks: Iterable[Block]) -> str:
    """Render `blocks` to a `<div class="ticket-preview">` fragment (all text escaped).

    Raises TypeError for an object that is not a layout block.
    """
    parts = ['<div class="ticket-preview">']
    for block in blocks:
        if isinstance(block, Text):
            classes = [f"tp-{block.align}", f"tp-w{block.size[0]}", f"tp-h{block.size[1]}"]
            if block.bold:
                classes.append("tp-bold")
            parts.append(f'<p class="tp-text {" ".join(classes)}" dir="auto">{escape(block.text)}</p>')
        elif isinstance(block, BigNumber):
            parts.append(f'<p class="tp-number" dir="ltr">{escape(block.text)}</p>')
        elif isinstance(block, QR):
            parts.append(f'<div class="tp-qr">{qr_svg(block.payload)}</div>')
        elif isinstance(block, Rule):
            parts.append('<hr class="tp-rule">')
        elif isinstance(block, Feed):
            parts.extend(['<div class="tp-feed"></div>'] * min(block.lines, 10))
        elif isinstance(block, Cut):
            parts.append('<div class="tp-cut" aria-hidden="true"></div>')
        elif isinstance(block, Logo):
            img = _logo_img(block.path)
            if img:
                parts.append(img)
        else:
            raise TypeError(f"not a layout block: {block!r}")
    parts.append("</div>")
    return "\n".join(parts)
