"""The ticket screen's QR code: an inline SVG made on the server (segno), no script, no image file."""
from __future__ import annotations

from xml.sax.saxutils import escape

import segno


def svg(url: str, *, title: str = "") -> str:
    """An ``<svg>`` of ``url`` as a QR code (medium error correction, a quiet zone of 4 modules).

    Scales to its box (a ``viewBox``, no fixed size); ``title`` names it for screen readers.
    Raises ``ValueError`` for data too long for a QR code.
    """
    code = segno.make(url, error="m", micro=False)
    markup = code.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True,
                             svgclass="qr", lineclass=None, title=None)
    label = escape(title or url)
    return markup.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
