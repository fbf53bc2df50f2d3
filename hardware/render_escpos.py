"""Render a ticket layout to ESC/POS bytes with python-escpos.

The bytes are produced by python-escpos's `Dummy` printer, so every command
comes from the library; this module only decides *which* commands:

* widths come from the capability profile's media data, or from the paper
  width (58 mm -> 384 dots / 32 columns, 80 mm -> 576 dots / 48 columns) when
  the profile does not know its media;
* style commands are sent only when the style changes, to keep a ticket
  small (a reference ticket is well under 600 bytes, which matters at 9600 baud);
* QR codes are native (`GS ( k`, ~100 bytes) when the profile supports them;
* text that the profile's code pages cannot encode, or that is written right
  to left, is drawn with Pillow and sent as a raster image (`GS v 0`) instead
  of letting the library print '?' for each unknown character.
"""

from __future__ import annotations

import copy
import functools
import glob
import logging
import os
import textwrap
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from hardware.layout import QR, BigNumber, Block, Cut, Feed, Logo, Rule, Text

if TYPE_CHECKING:  # pragma: no cover - typing only
    from PIL import Image

log = logging.getLogger(__name__)

PAPER_DOTS = {58: 384, 80: 576}
FONT_A_DOTS = 12  # font A cell is 12 x 24 dots on 203 dpi printers
LINE_DOTS = 24
QR_EC_LEVEL = 1  # escpos.constants.QR_ECLEVEL_M: survives a smudged thermal print

# Typographic characters that many code pages lack, with plain stand-ins; used
# only when the original cannot be encoded, so a dash does not force a raster line.
FALLBACK_CHARS = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2500": "-",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
}

FONT_DIRS = [os.path.join(os.path.dirname(__file__), "fonts")]
SYSTEM_FONTS = {
    False: [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ],
    True: [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    ],
}


@dataclass(frozen=True)
class Media:
    """Printable width of the paper: `dots` across and `columns` of font A."""

    dots: int
    columns: int


# --------------------------------------------------------------------------- profiles


def _known_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def media_for(profile: Any = "default", paper_mm: int = 80) -> Media:
    """Return the printable width for a profile (name or python-escpos profile object).

    The profile's own media width wins; `paper_mm` (58 or 80) is used when the
    profile does not know it.  Raises ValueError for another paper width in that
    case, and KeyError for an unknown profile name.
    """
    prof = _get_profile(profile)
    media = prof.profile_data.get("media", {}) or {}
    dots = _known_int((media.get("width") or {}).get("pixels"))
    if dots is not None:
        columns = _known_int((prof.profile_data.get("fonts", {}).get("0") or {}).get("columns"))
        return Media(dots, min(columns or dots // FONT_A_DOTS, dots // FONT_A_DOTS))
    if paper_mm not in PAPER_DOTS:
        raise ValueError(f"paper width must be 58 or 80 mm, not {paper_mm!r}")
    dots = PAPER_DOTS[paper_mm]
    return Media(dots, dots // FONT_A_DOTS)


def _get_profile(profile: Any) -> Any:
    from escpos.capabilities import CAPABILITIES, get_profile

    if hasattr(profile, "profile_data"):  # already a profile object
        return profile
    if isinstance(profile, str) and profile not in CAPABILITIES["profiles"]:
        raise KeyError(
            f"unknown printer profile {profile!r}; known: {', '.join(sorted(CAPABILITIES['profiles']))}"
        )
    return get_profile(profile)


def profile_with_media(profile: Any, media: Media) -> Any:
    """Return a python-escpos profile object equal to `profile` but with its media width set.

    python-escpos centres images and checks their width from the profile, and
    prints a warning to stdout when the width is unknown; giving it the width
    we resolved keeps both behaviours right.  The shared profile data is copied,
    never mutated.
    """
    from escpos.capabilities import Profile

    data = copy.deepcopy(_get_profile(profile).profile_data)
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = media.dots

    class _MediaProfile(Profile):
        def __init__(self) -> None:  # noqa: D107 - Profile.__init__ would drop features
            self.profile_data = data
            self.columns = None

    return _MediaProfile()


# --------------------------------------------------------------------------- text checks


def clean_text(text: str) -> str:
    """Remove control characters (an ESC in a service name must not reach the printer) and
    normalise to NFC so accents are single code points that code pages can encode."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def is_rtl_text(text: str) -> bool:
    """Return True when `text` contains right-to-left letters (Arabic, Hebrew, ...)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _encoder_for(profile: Any) -> Any:
    from escpos.magicencode import Encoder

    return Encoder(profile.get_code_pages())


def encodable(text: str, encoder: Any) -> bool:
    """Return True when every character of `text` exists in one of the encoder's code pages."""
    names = list(encoder.codepages)
    return all(ord(ch) < 128 or any(encoder.can_encode(name, ch) for name in names) for ch in text)


def printable_as_text(text: str, encoder: Any) -> str | None:
    """Return `text` (or its plain-punctuation variant) when the printer can print it with
    its code pages, or None when it must be rasterised.

    Right-to-left text is always rasterised: code-page printing would put the
    letters in logical order, left to right and unshaped, which is unreadable.
    Chinese characters are checked here too, before python-escpos's magic
    encoder would send them as GB18030, which most printers print as garbage.
    """
    if is_rtl_text(text):
        return None
    if encodable(text, encoder):
        return text
    plain = "".join(FALLBACK_CHARS.get(ch, ch) for ch in text)
    return plain if encodable(plain, encoder) else None


# --------------------------------------------------------------------------- raster text


@functools.lru_cache(maxsize=2)
def _font_candidates(bold: bool) -> tuple[str, ...]:
    """Font files to try, shipped ones first (looked up once per process)."""
    shipped = sorted(p for d in FONT_DIRS for p in glob.glob(os.path.join(d, "*.[ot]t[fc]")))
    return tuple(shipped + [p for p in SYSTEM_FONTS[bold] if os.path.exists(p)])


@functools.lru_cache(maxsize=64)
def _load_font(path: str | None, px: int) -> Any:
    from PIL import ImageFont

    if path is None:
        return ImageFont.load_default(size=px)
    return ImageFont.truetype(path, px, layout_engine=_layout_engine())


@functools.lru_cache(maxsize=1)
def _layout_engine() -> Any:
    from PIL import ImageFont, features

    if features.check("raqm"):
        return ImageFont.Layout.RAQM
    log.warning(
        "Pillow has no libraqm: Arabic/Hebrew tickets are printed in reversed order "
        "without letter shaping; install libraqm0 for correct right-to-left text"
    )
    return ImageFont.Layout.BASIC


@functools.lru_cache(maxsize=4096)
def _font_covers(path: str, ch: str) -> bool:
    # Pillow cannot query a font's character map, so compare the glyph with the
    # one drawn for a code point no font has (.notdef, the "tofu" box).
    font = _load_font(path, 24)
    missing = font.getmask("\U0010fffd")
    glyph = font.getmask(ch)
    return glyph.size != missing.size or bytes(glyph) != bytes(missing)


def pick_font(text: str, bold: bool, px: int) -> Any:
    """Return a Pillow font of `px` pixels that covers every character of `text`.

    Shipped fonts (hardware/fonts) come first, then system fonts (DejaVu covers
    Latin, Greek, Cyrillic, Arabic and Hebrew; CJK needs fonts-noto-cjk).  When
    no font covers the text the best available one is used and a warning logged;
    without any TrueType font Pillow's default font is used.
    """
    chars = {ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "M"}
    candidates = _font_candidates(bold)
    for path in candidates:
        if all(_font_covers(path, ch) for ch in chars):
            return _load_font(path, px)
    if candidates:
        log.warning("no installed font covers %r; some characters will print as boxes", text)
        return _load_font(candidates[0], px)
    log.warning("no TrueType font found (install fonts-dejavu-core); using Pillow's default font")
    return _load_font(None, px)


def visual_order(text: str) -> str:
    """Crude right-to-left display order for Pillow's basic layout (no libraqm): reverse the
    line, keeping runs of digits and Latin letters left to right.  No letter shaping is done."""
    runs: list[tuple[bool, list[str]]] = []
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        # Neutral characters (spaces, punctuation) stay with the run they follow.
        rtl = kind in ("R", "AL") or (kind in ("WS", "ON", "CS", "ES") and bool(runs) and runs[-1][0])
        if runs and runs[-1][0] == rtl:
            runs[-1][1].append(ch)
        else:
            runs.append((rtl, [ch]))
    return "".join("".join(reversed(chars)) if rtl else "".join(chars) for rtl, chars in reversed(runs))


def _wrap_to_width(text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        line = ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if not line or font.getlength(candidate) <= width:
                line = candidate
                continue
            lines.append(line)
            line = word
        lines.append(line)
    return lines


def text_image(text: str, dots: int, size: tuple[int, int] = (1, 1), bold: bool = False,
               align: str = "left") -> "Image.Image":
    """Draw `text` as a 1-bit image `dots` wide (or narrower for left alignment), wrapped to fit.

    With libraqm, Pillow shapes Arabic letters and orders mixed right-to-left
    text; without it only `visual_order` is applied.  Text is scaled by the
    height factor of `size`.
    """
    from PIL import Image, ImageDraw

    px = LINE_DOTS * size[1]
    font = pick_font(text, bold, px)
    raqm = _layout_engine().name == "RAQM" and hasattr(font, "path")
    lines = _wrap_to_width(text, font, dots)
    ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (px, px // 4)
    line_height = ascent + descent
    widths = [min(dots, int(font.getlength(line)) + 1) for line in lines]
    image = Image.new("1", (dots, line_height * len(lines)), 1)
    draw = ImageDraw.Draw(image)
    for i, (line, line_width) in enumerate(zip(lines, widths, strict=True)):
        shown = line if raqm or not is_rtl_text(line) else visual_order(line)
        x = {"left": 0, "center": (dots - line_width) // 2, "right": dots - line_width}[align]
        draw.text((x, i * line_height), shown, font=font, fill=0)
    # Every raster byte costs transfer time (1 ms per byte at 9600 baud): crop the
    # blank rows and the blank right margin, keeping the left offset that aligns it.
    from PIL import ImageOps

    ink = ImageOps.invert(image.convert("L")).getbbox()
    if ink is None:
        return image.crop((0, 0, 8, 1))
    right = min(dots, (ink[2] + 7) // 8 * 8)
    return image.crop((0, max(0, ink[1] - 2), right, min(image.height, ink[3] + 2)))


# --------------------------------------------------------------------------- renderer


class _Writer:
    """Tracks the printer's text style so each command is sent only when it changes."""

    def __init__(self, printer: Any, media: Media) -> None:
        self.p = printer
        self.media = media
        self.encoder = _encoder_for(printer.profile)
        self.align = "left"
        self.bold = False
        self.size = (1, 1)
        features = printer.profile.features
        self.image_impl = next(
            (impl for impl in ("bitImageRaster", "bitImageColumn", "graphics") if features.get(impl)), None
        )

    def style(self, align: str | None = None, bold: bool | None = None, size: tuple[int, int] | None = None) -> None:
        if align is not None and align != self.align:
            self.p.set(align=align)
            self.align = align
        if bold is not None and bold != self.bold:
            self.p.set(bold=bold)
            self.bold = bold
        if size is not None and size != self.size:
            self.p.set(custom_size=True, width=size[0], height=size[1])
            self.size = size

    def text(self, block: Text) -> None:
        text = clean_text(block.text)
        if not text.strip():
            return
        printable = printable_as_text(text, self.encoder)
        if printable is None:
            self.image(text_image(text, self.media.dots, block.size, block.bold, block.align))
            return
        self.style(block.align, block.bold, block.size)
        columns = max(1, self.media.columns // block.size[0])
        lines = [
            line
            for paragraph in printable.split("\n")
            for line in (textwrap.wrap(paragraph, columns) or [""])
        ]
        self.p.text("\n".join(lines) + "\n")

    def big_number(self, block: BigNumber) -> None:
        text = clean_text(block.text).strip()
        factor = max(1, min(8, self.media.columns // max(1, len(text))))
        self.text(Text(text, size=(factor, factor), bold=True, align="center"))

    def rule(self) -> None:
        line = "\u2500" * self.media.columns
        if not encodable(line, self.encoder):
            line = "-" * self.media.columns
        self.style("left", False, (1, 1))
        self.p.text(line + "\n")

    def qr(self, block: QR) -> None:
        import qrcode

        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(block.payload)
        code.make(fit=True)
        # A code wider than the paper would be cut off: shrink the modules.
        size = max(1, min(block.size, self.media.dots // (code.modules_count + 8)))
        if self.p.profile.supports("qrCode"):
            self.style(align="center")
            self.p.qr(block.payload, ec=QR_EC_LEVEL, size=size, native=True)
        elif self.image_impl:
            self.style(align="left")
            self.p.qr(block.payload, ec=QR_EC_LEVEL, size=size, native=False,
                      image_arguments={"impl": self.image_impl, "center": True})
        else:
            log.warning("profile cannot print QR codes or images; QR %r skipped", block.payload)

    def image(self, image: "Image.Image", center: bool = False) -> None:
        if self.image_impl is None:
            log.warning("profile cannot print images; a %sx%s image was skipped", *image.size)
            return
        # The image carries its own alignment padding, so print it from the left edge.
        self.style(align="left")
        self.p.image(image, impl=self.image_impl, center=center)

    def logo(self, block: Logo) -> None:
        from PIL import Image

        try:
            with Image.open(block.path) as source:
                logo = source.convert("RGBA")
        except (OSError, ValueError) as exc:
            log.warning("logo %s not printed: %s", block.path, exc)
            return
        if logo.width > self.media.dots:
            logo = logo.resize((self.media.dots, max(1, logo.height * self.media.dots // logo.width)))
        self.image(logo, center=True)

    def cut(self) -> None:
        features = self.p.profile.features
        if features.get("paperFullCut") or features.get("paperPartCut"):
            self.p.cut()
        else:
            # No cutter: feed the ticket past the tear bar.
            self.p.print_and_feed(6)


def render_escpos(blocks: Iterable[Block], profile: Any = "default", paper_mm: int = 80) -> bytes:
    """Render `blocks` to the ESC/POS byte string of one ticket.

    `profile` is a python-escpos capability profile name (e.g. "TM-T88V") or
    profile object; `paper_mm` (58/80) sets the width when the profile has no
    media width.  The job starts with ESC @ and ends with a cut when the
    profile supports one.  Raises KeyError for an unknown profile name,
    ValueError for an unsupported paper width and TypeError for a non-block.
    """
    from escpos.printer import Dummy

    media = media_for(profile, paper_mm)
    printer = Dummy(profile=profile_with_media(profile, media))
    writer = _Writer(printer, media)
    printer.hw("INIT")
    for block in blocks:
        if isinstance(block, Text):
            writer.text(block)
        elif isinstance(block, BigNumber):
            writer.big_number(block)
        elif isinstance(block, QR):
            writer.qr(block)
        elif isinstance(block, Rule):
            writer.rule()
        elif isinstance(block, Feed):
            printer.print_and_feed(block.lines)
        elif isinstance(block, Cut):
            writer.cut()
        elif isinstance(block, Logo):
            writer.logo(block)
        else:
            raise TypeError(f"not a layout block: {block!r}")
    return printer.output
