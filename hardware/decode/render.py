"""A page to pictures: the printed elements as plain text or as a PNG drawn with Pillow.

`page_text` gives a reviewable text view (`[QR: payload]`, `[IMAGE WxH]`,
`[CUT]`), `page_image` / `page_png` a picture of the ticket at the printer's
dot width (203 dpi: 576 dots on 80 mm paper, 384 on 58 mm).  Pillow and
qrcode are imported when a picture is drawn, not on import.
"""

from __future__ import annotations

import functools
import io
from typing import Any, Iterable

from hardware.decode.interpret import (
    Element,
    FeedLines,
    PaperCut,
    QRCode,
    RasterImage,
    TextLine,
)

CHAR_DOTS = 12  # font A: 12 x 24 dots per character
LINE_DOTS = 24
MONO_FONTS = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
}


def page_text(elements: Iterable[Element], paper_dots: int = 576) -> str:
    """Plain-text rendering: aligned text lines, `[QR: payload]`, `[IMAGE WxH]`, `[CUT]`."""
    columns = paper_dots // CHAR_DOTS
    out: list[str] = []
    for element in elements:
        if isinstance(element, TextLine):
            cols = max(1, columns // element.width)
            text = element.text.rstrip()
            if element.align == "center":
                text = text.center(cols).rstrip()
            elif element.align == "right":
                text = text.rjust(cols)
            out.append(text)
        elif isinstance(element, QRCode):
            out.append(f"[QR: {element.payload}]")
        elif isinstance(element, RasterImage):
            out.append(f"[IMAGE {element.width}x{element.height}]")
        elif isinstance(element, FeedLines):
            out.extend([""] * (element.lines or (1 if element.dots >= LINE_DOTS else 0)))
        elif isinstance(element, PaperCut):
            while out and out[-1] == "":
                out.pop()  # the feed before a cut is paper, not content
            out.append("[CUT]")
    return "\n".join(out) + ("\n" if out else "")


def page_image(elements: Iterable[Element], paper_dots: int = 576) -> Any:
    """Render the ticket as a Pillow "L" image `paper_dots` wide."""
    from PIL import Image, ImageDraw

    pieces: list[tuple[Any, str]] = []  # (image, int gap or "cut", align)
    for element in elements:
        if isinstance(element, TextLine):
            pieces.append((_text_line_image(element), element.align))
        elif isinstance(element, QRCode):
            pieces.append((_qr_image(element), element.align))
        elif isinstance(element, RasterImage):
            pieces.append((_raster_image(element), element.align))
        elif isinstance(element, FeedLines):
            pieces.append((element.lines * LINE_DOTS + element.dots, "left"))
        elif isinstance(element, PaperCut):
            pieces.append(("cut", "left"))
    height = 8 + sum(p if isinstance(p, int) else 12 if p == "cut" else p.height for p, _ in pieces)
    canvas = Image.new("L", (paper_dots, max(height, LINE_DOTS)), 255)
    draw = ImageDraw.Draw(canvas)
    y = 4
    for piece, align in pieces:
        if isinstance(piece, int):
            y += piece
        elif piece == "cut":
            for x in range(0, paper_dots, 12):
                draw.line([(x, y + 6), (x + 6, y + 6)], fill=0)
            y += 12
        else:
            piece = piece.crop((0, 0, min(piece.width, paper_dots), piece.height))
            x = {"left": 0, "center": (paper_dots - piece.width) // 2, "right": paper_dots - piece.width}[align]
            canvas.paste(piece, (x, y))
            y += piece.height
    return canvas


def page_png(elements: Iterable[Element], paper_dots: int = 576) -> bytes:
    """The ticket picture as PNG bytes."""
    buffer = io.BytesIO()
    page_image(elements, paper_dots).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@functools.lru_cache(maxsize=4)
def _mono_font(bold: bool) -> Any:
    from PIL import ImageFont

    try:
        # 20 px DejaVu Sans Mono advances 12 px per character, like printer font A.
        return ImageFont.truetype(MONO_FONTS[bold], 20)
    except OSError:
        return ImageFont.load_default(size=20)


def _text_line_image(line: TextLine) -> Any:
    from PIL import Image, ImageDraw

    parts = []
    for seg in line.segments:
        font = _mono_font(seg.bold)
        base = Image.new("L", (max(1, CHAR_DOTS * len(seg.text)), LINE_DOTS), 255)
        draw = ImageDraw.Draw(base)
        draw.text((0, 1), seg.text, font=font, fill=0)
        if seg.underline:
            draw.line([(0, 22), (base.width, 22)], fill=0, width=2)
        parts.append(base.resize((base.width * seg.width, LINE_DOTS * seg.height), Image.Resampling.NEAREST))
    height = max((p.height for p in parts), default=LINE_DOTS)
    image = Image.new("L", (max(1, sum(p.width for p in parts)), height), 255)
    x = 0
    for part in parts:
        image.paste(part, (x, height - part.height))  # characters share a baseline
        x += part.width
    return image


def _qr_image(element: QRCode) -> Any:
    import qrcode

    levels = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
              "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels.get(element.ec, levels["L"]),
                         box_size=max(1, element.size), border=0)
    code.add_data(element.payload)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def _raster_image(element: RasterImage) -> Any:
    from PIL import Image, ImageOps

    bits = Image.frombytes("1", (element.width, element.height), bytes(element.data))
    return ImageOps.invert(bits.convert("L"))  # ESC/POS 1 = black, Pillow 1 = white
