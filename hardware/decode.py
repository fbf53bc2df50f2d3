"""Decode ESC/POS byte streams back into what a printer would put on paper.

Three layers, all pure:

* `parse_commands(data, final)` splits bytes into `Command`s.  It knows the
  length of every command ServicePoint emits (and of most common others), so
  a status query (`DLE EOT n`) is only recognised at a command boundary and
  never inside raster or QR data.  With `final=False` it stops before an
  incomplete command, which is what the emulator needs for a byte stream.
* `interpret(commands)` runs a small printer model (code page, bold, size,
  alignment) and yields `Element`s: text lines, QR codes, raster images,
  feeds and cuts.
* `Decoded.text()` renders a plain-text view (`[QR: payload]`, `[CUT]`), and
  `Decoded.png()` a picture of the ticket drawn with Pillow.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
_TEXT_RUN = re.compile(rb"[\x20-\xff]+")
MONO_FONTS = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
}

# Fixed-length commands: prefix -> total length in bytes.
_FIXED: dict[bytes, tuple[str, int]] = {
    b"\x1b@": ("init", 2),
    b"\x1bt": ("codepage", 3),
    b"\x1b!": ("print_mode", 3),
    b"\x1bE": ("bold", 3),
    b"\x1bG": ("double_strike", 3),
    b"\x1ba": ("align", 3),
    b"\x1b-": ("underline", 3),
    b"\x1bM": ("font", 3),
    b"\x1bd": ("feed_lines", 3),
    b"\x1bJ": ("feed_dots", 3),
    b"\x1be": ("reverse_feed", 3),
    b"\x1b2": ("line_spacing_default", 2),
    b"\x1b3": ("line_spacing", 3),
    b"\x1b+": ("line_spacing", 3),
    b"\x1bA": ("line_spacing", 3),
    b"\x1bV": ("rotate", 3),
    b"\x1b{": ("upside_down", 3),
    b"\x1br": ("color", 3),
    b"\x1bR": ("international", 3),
    b"\x1bU": ("unidirectional", 3),
    b"\x1b ": ("char_spacing", 3),
    b"\x1b=": ("peripheral", 3),
    b"\x1bS": ("standard_mode", 2),
    b"\x1bL": ("page_mode", 2),
    b"\x1bT": ("page_direction", 3),
    b"\x1bi": ("cut", 2),
    b"\x1bm": ("cut", 2),
    b"\x1bp": ("drawer", 5),
    b"\x1b$": ("position", 4),
    b"\x1b\\": ("relative_position", 4),
    b"\x1bB": ("buzzer", 4),
    b"\x1bc3": ("paper_sensor_signal", 4),
    b"\x1bc4": ("paper_sensor_stop", 4),
    b"\x1bc5": ("panel_buttons", 4),
    b"\x1d!": ("size", 3),
    b"\x1dB": ("invert", 3),
    b"\x1db": ("smooth", 3),
    b"\x1dH": ("barcode_hri", 3),
    b"\x1df": ("barcode_font", 3),
    b"\x1dh": ("barcode_height", 3),
    b"\x1dw": ("barcode_width", 3),
    b"\x1dL": ("left_margin", 4),
    b"\x1dW": ("print_width", 4),
    b"\x1da": ("auto_status_back", 3),
    b"\x1dr": ("status_transmit", 3),
    b"\x1dI": ("printer_id", 3),
    b"\x1dP": ("motion_units", 4),
    b"\x1d|": ("density", 3),
    b"\x1d/": ("print_downloaded_image", 3),
    b"\x1d:": ("macro", 2),
    b"\x1d^": ("run_macro", 5),
    b"\x10\x04": ("status_query", 3),
    b"\x10\x05": ("realtime_request", 3),
    b"\x10\x14": ("realtime_command", 5),
    b"\x1c&": ("kanji_on", 2),
    b"\x1c.": ("kanji_off", 2),
    b"\x1cp": ("nv_image", 4),
    b"\x1c!": ("kanji_mode", 3),
    b"\x1c-": ("kanji_underline", 3),
    b"\x1cC": ("kanji_code", 3),
    b"\x1cW": ("kanji_quad", 3),
    b"\x1cS": ("kanji_spacing", 4),
}
_CONTROL = {0x0A: "lf", 0x0D: "cr", 0x09: "ht", 0x0C: "ff", 0x00: "nul", 0x07: "bel", 0x18: "can"}


@dataclass(frozen=True)
class Command:
    """One ESC/POS command (or a run of text bytes) with its raw bytes and decoded arguments."""

    name: str
    raw: bytes
    args: dict = field(default_factory=dict, compare=False)


class Incomplete(Exception):
    """Internal: the buffer ends inside a command."""


def _need(data: bytes, i: int, n: int) -> None:
    if i + n > len(data):
        raise Incomplete


def _le(data: bytes, i: int, n: int) -> int:
    return int.from_bytes(data[i:i + n], "little")


def _parse_one(data: bytes, i: int) -> Command:
    """Parse the command starting at data[i]; raise Incomplete when more bytes are needed."""
    b = data[i]
    if b >= 0x20:
        match = _TEXT_RUN.match(data, i)
        assert match is not None
        return Command("text", match.group())
    if b not in (ESC, GS, DLE, FS):
        return Command(_CONTROL.get(b, "control"), data[i:i + 1])
    _need(data, i, 2)
    c = data[i + 1]
    if b == ESC and c == ord("c"):
        _need(data, i, 3)
    prefix = data[i:i + 3] if b == ESC and c == ord("c") else data[i:i + 2]
    if prefix in _FIXED:
        name, length = _FIXED[prefix]
        _need(data, i, length)
        raw = data[i:i + length]
        return Command(name, raw, _fixed_args(name, raw))
    if b == GS and c == ord("V"):
        _need(data, i, 3)
        m = data[i + 2]
        length = 3 if m in (0, 1, 48, 49) else 4
        _need(data, i, length)
        return Command("cut", data[i:i + length], {"partial": m in (1, 49, 66, 98, 104), "mode": m})
    if b == GS and c == ord("v"):
        _need(data, i, 8)
        width_bytes, height = _le(data, i + 4, 2), _le(data, i + 6, 2)
        length = 8 + width_bytes * height
        _need(data, i, length)
        return Command("raster", data[i:i + length],
                       {"mode": data[i + 3], "width_bytes": width_bytes, "height": height,
                        "data": data[i + 8:i + length]})
    if c == ord("(") and b in (ESC, GS, FS):
        _need(data, i, 5)
        fn = chr(data[i + 2])
        length = 5 + _le(data, i + 3, 2)
        _need(data, i, length)
        raw = data[i:i + length]
        if b == GS and fn == "k":
            return _two_d_code(raw)
        return Command(f"{ {ESC: 'esc', GS: 'gs', FS: 'fs'}[b] }_paren_{fn}", raw)
    if b == GS and c == ord("8"):
        _need(data, i, 7)
        length = 7 + _le(data, i + 3, 4)
        _need(data, i, length)
        return Command("graphics_large", data[i:i + length])
    if b == ESC and c == ord("*"):
        _need(data, i, 5)
        m, n = data[i + 2], _le(data, i + 3, 2)
        length = 5 + n * (1 if m in (0, 1) else 3)
        _need(data, i, length)
        return Command("column_image", data[i:i + length], {"mode": m, "columns": n})
    if b == GS and c == ord("*"):
        _need(data, i, 4)
        length = 4 + data[i + 2] * data[i + 3] * 8
        _need(data, i, length)
        return Command("define_downloaded_image", data[i:i + length])
    if b == GS and c == ord("k"):
        _need(data, i, 3)
        m = data[i + 2]
        if m <= 6:
            end = data.find(b"\x00", i + 3)
            if end < 0:
                raise Incomplete
            return Command("barcode", data[i:end + 1], {"type": m, "data": data[i + 3:end]})
        _need(data, i, 4)
        length = 4 + data[i + 3]
        _need(data, i, length)
        return Command("barcode", data[i:i + length], {"type": m, "data": data[i + 4:i + length]})
    if b == ESC and c == ord("D"):
        end = data.find(b"\x00", i + 2)
        if end < 0:
            if len(data) - i > 34:  # at most 32 tab stops + NUL
                return Command("unknown", data[i:i + 2])
            raise Incomplete
        return Command("tabs", data[i:end + 1])
    return Command("unknown", data[i:i + 2])


def _fixed_args(name: str, raw: bytes) -> dict:
    if len(raw) < 3:
        return {}
    n = raw[2]
    if name == "status_query":
        return {"n": n}
    if name == "align":
        return {"align": {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}.get(n, "left")}
    if name in ("bold", "double_strike"):
        return {"on": bool(n & 1)}
    if name == "size":
        return {"width": (n >> 4 & 7) + 1, "height": (n & 7) + 1}
    if name == "print_mode":
        return {"bold": bool(n & 0x08), "height": 2 if n & 0x10 else 1, "width": 2 if n & 0x20 else 1,
                "underline": bool(n & 0x80)}
    if name == "underline":
        return {"on": n not in (0, 48)}
    return {"n": n}


def _two_d_code(raw: bytes) -> Command:
    if len(raw) < 7:  # pL pH = 0: no function byte
        return Command("2d_code", raw)
    cn, fn = raw[5], raw[6]
    if cn != 49:  # 49 = QR code; other symbols (PDF417, ...) are kept opaque
        return Command("2d_code", raw, {"cn": cn, "fn": fn})
    if fn == 65:
        return Command("qr_model", raw, {"model": raw[7] - 48 if len(raw) > 7 else 2})
    if fn == 67:
        return Command("qr_size", raw, {"size": raw[7] if len(raw) > 7 else 3})
    if fn == 69:
        return Command("qr_ec", raw, {"ec": "LMQH"[(raw[7] - 48) % 4] if len(raw) > 7 else "L"})
    if fn == 80:
        return Command("qr_store", raw, {"data": raw[8:]})
    if fn == 81:
        return Command("qr_print", raw)
    return Command("qr_other", raw, {"fn": fn})


def parse_commands(data: bytes, final: bool = True) -> tuple[list[Command], int]:
    """Split `data` into commands; return them and the number of bytes consumed.

    With `final=False`, parsing stops before a command that is not complete yet
    (the caller keeps the tail and retries with more bytes).  With `final=True`
    an incomplete tail becomes a single "truncated" command.
    """
    commands: list[Command] = []
    i = 0
    data = bytes(data)
    while i < len(data):
        try:
            command = _parse_one(data, i)
        except Incomplete:
            if not final:
                break
            command = Command("truncated", data[i:])
        commands.append(command)
        i += len(command.raw)
    return commands, i


# --------------------------------------------------------------------------- printer model


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


def interpret(commands: Iterable[Command], profile: str = "default") -> list[Element]:
    """Run the printer model over `commands` and return the printed elements in order."""
    elements: list[Element] = []
    state = {"codepage": 0, "bold": False, "width": 1, "height": 1, "underline": False, "align": "left"}
    line: list[Segment] = []
    line_align = ["left"]
    qr = {"data": b"", "size": 3, "ec": "L"}

    def flush(force: bool = False) -> None:
        if line or force:
            elements.append(TextLine(tuple(line), line_align[0]))
            line.clear()

    for cmd in commands:
        name, args = cmd.name, cmd.args
        if name == "text":
            if not line:
                line_align[0] = state["align"]
            line.append(Segment(decode_text(cmd.raw, state["codepage"], profile), state["width"],
                                state["height"], state["bold"], state["underline"]))
        elif name == "lf":
            flush(force=True)
        elif name == "init":
            flush()
            state.update(codepage=0, bold=False, width=1, height=1, underline=False, align="left")
        elif name == "codepage":
            state["codepage"] = args["n"]
        elif name in ("bold", "double_strike"):
            state["bold"] = args["on"]
        elif name == "underline":
            state["underline"] = args["on"]
        elif name == "size":
            state.update(width=args["width"], height=args["height"])
        elif name == "print_mode":
            state.update(bold=args["bold"], width=args["width"], height=args["height"],
                         underline=args["underline"])
        elif name == "align":
            state["align"] = args["align"]
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
            qr["size"] = args["size"]
        elif name == "qr_ec":
            qr["ec"] = args["ec"]
        elif name == "qr_store":
            qr["data"] = args["data"]
        elif name == "qr_print":
            flush()
            elements.append(QRCode(qr["data"].decode("utf-8", "replace"), qr["size"], qr["ec"], state["align"]))
        elif name == "raster":
            flush()
            elements.append(RasterImage(args["width_bytes"] * 8, args["height"], args["data"], state["align"]))
        elif name == "cut":
            flush()
            elements.append(PaperCut(partial=bool(args.get("partial"))))
    flush()
    return elements


# --------------------------------------------------------------------------- renderings


@dataclass
class Decoded:
    """A decoded job: its commands, printed elements and renderings."""

    commands: list[Command]
    elements: list[Element]
    paper_dots: int = 576

    @property
    def columns(self) -> int:
        return self.paper_dots // 12

    def text(self) -> str:
        """Plain-text rendering: aligned text lines, `[QR: payload]`, `[IMAGE WxH]`, `[CUT]`."""
        out: list[str] = []
        for element in self.elements:
            if isinstance(element, TextLine):
                cols = max(1, self.columns // element.width)
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
                out.extend([""] * (element.lines or (1 if element.dots >= 24 else 0)))
            elif isinstance(element, PaperCut):
                while out and out[-1] == "":
                    out.pop()  # the feed before a cut is paper, not content
                out.append("[CUT]")
        return "\n".join(out) + ("\n" if out else "")

    def image(self) -> Any:
        """Render the ticket as a Pillow "L" image `paper_dots` wide."""
        from PIL import Image, ImageDraw

        pieces: list[tuple[Any, str]] = []  # (image or int gap, align)
        for element in self.elements:
            if isinstance(element, TextLine):
                pieces.append((_text_line_image(element), element.align))
            elif isinstance(element, QRCode):
                pieces.append((_qr_image(element), element.align))
            elif isinstance(element, RasterImage):
                pieces.append((_raster_image(element), element.align))
            elif isinstance(element, FeedLines):
                pieces.append((element.lines * 24 + element.dots, "left"))
            elif isinstance(element, PaperCut):
                pieces.append(("cut", "left"))
        height = 8 + sum(p if isinstance(p, int) else 12 if p == "cut" else p.height for p, _ in pieces)
        canvas = Image.new("L", (self.paper_dots, max(height, 24)), 255)
        draw = ImageDraw.Draw(canvas)
        y = 4
        for piece, align in pieces:
            if isinstance(piece, int):
                y += piece
            elif piece == "cut":
                for x in range(0, self.paper_dots, 12):
                    draw.line([(x, y + 6), (x + 6, y + 6)], fill=0)
                y += 12
            else:
                piece = piece.crop((0, 0, min(piece.width, self.paper_dots), piece.height))
                x = {"left": 0, "center": (self.paper_dots - piece.width) // 2,
                     "right": self.paper_dots - piece.width}[align]
                canvas.paste(piece, (x, y))
                y += piece.height
        return canvas

    def png(self) -> bytes:
        """Return the ticket picture as PNG bytes."""
        buffer = io.BytesIO()
        self.image().save(buffer, format="PNG", optimize=True)
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
        base = Image.new("L", (max(1, 12 * len(seg.text)), 24), 255)
        draw = ImageDraw.Draw(base)
        draw.text((0, 1), seg.text, font=font, fill=0)
        if seg.underline:
            draw.line([(0, 22), (base.width, 22)], fill=0, width=2)
        parts.append(base.resize((base.width * seg.width, 24 * seg.height), Image.NEAREST))
    height = max((p.height for p in parts), default=24)
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


def decode(data: bytes, profile: str = "default", paper_dots: int = 576) -> Decoded:
    """Decode a complete ESC/POS job (text code pages per `profile`) into a `Decoded` ticket."""
    commands, _ = parse_commands(data, final=True)
    return Decoded(commands, interpret(commands, profile), paper_dots)
