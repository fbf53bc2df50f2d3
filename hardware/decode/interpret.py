"""Commands to a page: run a small printer model over parsed ESC/POS commands.

`interpret(commands)` tracks what a printer tracks (code page, bold, size,
underline, alignment, QR settings) and yields the `Element`s it would put on
paper: text lines, QR codes, raster images, feeds and cuts.  Pure apart from
reading python-escpos's code page tables (cached) to decode text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

from hardware.decode.parse import Command


@dataclass(frozen=True)
class Segment:
    """A run of text printed with one style."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    underline: bool = False


@dataclass(frozen=True)
class TextLine:
    """One printed line of text."""

    segments: tuple[Segment, ...]
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def width(self) -> int:
        return max((s.width for s in self.segments), default=1)

    @property
    def height(self) -> int:
        return max((s.height for s in self.segments), default=1)


@dataclass(frozen=True)
class QRCode:
    """A native QR code symbol."""

    payload: str
    size: int = 3
    ec: str = "L"
    align: str = "left"


@dataclass(frozen=True)
class RasterImage:
    """A `GS v 0` raster image; `data` holds 1 bit per dot, 1 = black."""

    width: int
    height: int
    data: bytes
    align: str = "left"


@dataclass(frozen=True)
class FeedLines:
    """Blank paper: `lines` text lines or `dots` dots."""

    lines: int = 0
    dots: int = 0


@dataclass(frozen=True)
class PaperCut:
    """A paper cut."""

    partial: bool = False


Element = TextLine | QRCode | RasterImage | FeedLines | PaperCut


@functools.lru_cache(maxsize=64)
def _codepage_chars(profile: str, number: int) -> tuple[str, ...] | None:
    from escpos.capabilities import get_profile
    from escpos.magicencode import Encoder

    name = get_profile(profile).codePages.get(str(number))
    try:
        return tuple(Encoder._get_codepage_char_list(name)) if name else None
    except (LookupError, AssertionError):
        return None


def decode_text(raw: bytes, codepage: int, profile: str = "default") -> str:
    """Decode printer text bytes in code page `codepage` (ESC t n) of `profile`; unknown bytes
    become U+FFFD."""
    table = _codepage_chars(profile, codepage)
    out = []
    for byte in raw:
        if byte < 0x80:
            out.append(chr(byte))
        else:
            out.append(table[byte - 0x80] if table else "\ufffd")
    return "".join(out)


@dataclass
class _Style:
    """What the printer applies to the next text (reset by ESC @)."""

    codepage: int = 0
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: bool = False
    align: str = "left"


@dataclass
class _QRSettings:
    """The QR symbol being set up by GS ( k until it is printed."""

    data: bytes = b""
    size: int = 3
    ec: str = "L"


def interpret(commands: Iterable[Command], profile: str = "default") -> list[Element]:
    """Run the printer model over `commands` and return the printed elements in order."""
    elements: list[Element] = []
    style = _Style()
    line: list[Segment] = []
    line_align = "left"  # a line keeps the alignment in force at its first character
    qr = _QRSettings()

    def flush(force: bool = False) -> None:
        if line or force:
            elements.append(TextLine(tuple(line), line_align))
            line.clear()

    for cmd in commands:
        name, args = cmd.name, cmd.args
        if name == "text":
            if not line:
                line_align = style.align
            line.append(Segment(decode_text(cmd.raw, style.codepage, profile), style.width,
                                style.height, style.bold, style.underline))
        elif name == "lf":
            flush(force=True)
        elif name == "init":
            flush()
            style = _Style()
        elif name == "codepage":
            style.codepage = args["n"]
        elif name in ("bold", "double_strike"):
            style.bold = args["on"]
        elif name == "underline":
            style.underline = args["on"]
        elif name == "size":
            style.width, style.height = args["width"], args["height"]
        elif name == "print_mode":
            style.bold, style.underline = args["bold"], args["underline"]
            style.width, style.height = args["width"], args["height"]
        elif name == "align":
            style.align = args["align"]
        elif name == "feed_lines":
            lines = args["n"]
            if line:
                flush()
                lines -= 1
            if lines > 0:
                elements.append(FeedLines(lines=lines))
        elif name == "feed_dots":
            flush()
            elements.append(FeedLines(dots=args["n"]))
        elif name == "ff":
            flush()
        elif name == "qr_size":
            qr.size = args["size"]
        elif name == "qr_ec":
            qr.ec = args["ec"]
        elif name == "qr_store":
            qr.data = args["data"]
        elif name == "qr_print":
            flush()
            elements.append(QRCode(qr.data.decode("utf-8", "replace"), qr.size, qr.ec, style.align))
        elif name == "raster":
            flush()
            elements.append(RasterImage(args["width_bytes"] * 8, args["height"], args["data"], style.align))
        elif name == "cut":
            flush()
            elements.append(PaperCut(partial=bool(args.get("partial"))))
    flush()
    return elements
