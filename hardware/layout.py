"""Device-neutral ticket layout.

A ticket is a list of small frozen blocks (text, big number, QR code, rule,
feed, cut, logo).  Renderers turn the same list into ESC/POS bytes
(`hardware.render_escpos`) or an HTML preview (`hardware.render_html`), so the
kiosk's on-screen ticket and the paper one cannot drift apart.

Everything here is pure: no device, no clock (times come in with the ticket),
no file access (a logo is only a path until a renderer reads it).  The ticket
arrives as the `TicketPayload` frozen when it was issued; its texts come from
`hardware.texts`, its wait from the one wait formatter in `servicepoint.texts`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Union

from hardware.texts import CATALOGUE, base_language, is_rtl
from servicepoint.domain.printing import TicketPayload
from servicepoint.texts import lookup, wait_text
from servicepoint.timeutil import from_db, zone

log = logging.getLogger(__name__)

ALIGNMENTS = ("left", "center", "right")
MAX_MAGNIFICATION = 8  # ESC/POS GS ! allows 1..8 in each direction


@dataclass(frozen=True)
class Text:
    """A paragraph of text; renderers wrap it to the paper width.

    `size` is the ESC/POS magnification (width, height), each 1..8.
    Raises ValueError for an out-of-range size or an unknown alignment.
    """

    text: str
    size: tuple[int, int] = (1, 1)
    bold: bool = False
    align: str = "left"

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ValueError(f"Text.text must be a string, not {type(self.text).__name__}")
        _check_size(self.size)
        if self.align not in ALIGNMENTS:
            raise ValueError(f"align must be one of {', '.join(ALIGNMENTS)}, not {self.align!r}")


@dataclass(frozen=True)
class BigNumber:
    """The ticket number, printed as large as the paper allows (up to 8x8), centred."""

    text: str

    def __post_init__(self) -> None:
        if not self.text:
            raise ValueError("BigNumber needs a non-empty text")


@dataclass(frozen=True)
class QR:
    """A QR code carrying `payload`; `size` is the module size in printer dots (1..16)."""

    payload: str
    size: int = 6

    def __post_init__(self) -> None:
        if not self.payload:
            raise ValueError("QR payload must not be empty")
        if not 1 <= self.size <= 16:
            raise ValueError(f"QR size must be 1..16 dots per module, not {self.size}")


@dataclass(frozen=True)
class Rule:
    """A full-width horizontal line."""


@dataclass(frozen=True)
class Feed:
    """`lines` blank lines (1..255)."""

    lines: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.lines <= 255:
            raise ValueError(f"Feed lines must be 1..255, not {self.lines}")


@dataclass(frozen=True)
class Cut:
    """Cut the paper (renderers feed past the cutter first)."""


@dataclass(frozen=True)
class Logo:
    """An image file printed centred at the top, scaled down to the paper width."""

    path: str


Block = Union[Text, BigNumber, QR, Rule, Feed, Cut, Logo]


def _check_size(size: tuple[int, int]) -> None:
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(isinstance(v, int) and 1 <= v <= MAX_MAGNIFICATION for v in size)
    ):
        raise ValueError(f"size must be a (width, height) tuple of integers 1..8, not {size!r}")


def _up_to_minute(seconds: float) -> int:
    """A wait in seconds rounded up to whole minutes (in seconds), never below 0."""
    return max(0, math.ceil(seconds / 60)) * 60


def format_wait(estimated_wait_s: float | None, wait_range_s: tuple[float, float] | None,
                language: str) -> str | None:
    """The wait as printed ("about 10–15 min", "less than 1 min"), or None when unknown.

    Worded by `servicepoint.texts.wait_text` with the paper's ``wait.*`` texts.
    A range wins over the point estimate; one narrower than the domain's range
    rule reads as its upper end.  Every end is rounded up to whole minutes
    first, so a customer is never promised less than the estimate.
    """
    if wait_range_s is not None:
        low, high = sorted(_up_to_minute(s) for s in wait_range_s)
        point = high
    elif estimated_wait_s is not None:
        point = low = high = _up_to_minute(estimated_wait_s)
    else:
        return None
    return wait_text(point, low, high, base_language(language), CATALOGUE)


def format_local_time(issued_at: datetime, tz_name: str | None) -> str:
    """Format an aware datetime as "YYYY-MM-DD HH:MM" in the IANA zone `tz_name`.

    An unknown or missing zone prints UTC with a " UTC" suffix (and logs a
    warning) rather than failing the ticket.  Raises ValueError for a naive datetime.
    """
    if issued_at.tzinfo is None or issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware (UTC)")
    try:
        tz = zone(tz_name) if tz_name else None
    except ValueError:
        log.warning("unknown time zone %r on ticket; printing UTC", tz_name)
        tz = None
    if tz is None:
        return issued_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") + " UTC"
    return issued_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _localized(value: object, language: str) -> str | None:
    """Pick `value[language]` (then English) from a {lang: text} dict; a plain string is used as is."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        for key in (language, base_language(language), "en"):
            text = value.get(key)
            if text:
                return str(text)
    return None


def build_ticket_layout(ticket: TicketPayload, template: dict | None = None) -> list[Block]:
    """Build the block list for a queue ticket as it was issued.

    `template` keys (all optional): logo_path, branch_name, greeting / footer
    ({lang: text} or str), show_qr, show_wait.

    Raises ValueError for an empty number or an ``issued_at`` that is not an
    ISO-8601 time.
    """
    template = template or {}
    language = ticket.language or "en"
    lang = base_language(language)
    start = "right" if is_rtl(language) else "left"
    blocks: list[Block] = []

    if template.get("logo_path"):
        blocks.append(Logo(str(template["logo_path"])))
    branch = template.get("branch_name") or ticket.branch_name
    if branch:
        blocks.append(Text(str(branch), bold=True, align="center"))
    greeting = _localized(template.get("greeting"), language)
    if greeting:
        blocks.append(Text(greeting, align="center"))

    blocks.append(Feed(1))
    blocks.append(Text(lookup(CATALOGUE, "your_number", lang), align="center"))
    blocks.append(BigNumber(ticket.number))
    if ticket.service_name:
        blocks.append(Text(ticket.service_name, size=(1, 2), bold=True, align="center"))
    blocks.append(Rule())

    if ticket.people_ahead is not None:
        people = max(0, int(ticket.people_ahead))
        key = "you_are_next" if people == 0 else "people_ahead"
        text = lookup(CATALOGUE, key, lang, n=people)
        blocks.append(Text(text, align=start))
    if template.get("show_wait", True) and ticket.no_counter_open:
        blocks.append(Text(lookup(CATALOGUE, "no_counter_open", lang), align=start))
    elif template.get("show_wait", True):
        wait = format_wait(ticket.estimated_wait_s, ticket.estimated_wait_range_s, lang)
        if wait is not None:
            blocks.append(Text(lookup(CATALOGUE, "estimated_wait", lang, wait=wait), align=start))

    if template.get("show_qr", True) and ticket.track_url:
        blocks.append(Rule())
        blocks.append(QR(ticket.track_url))
        blocks.append(Text(lookup(CATALOGUE, "scan_to_follow", lang), align="center"))

    issued_at = from_db(ticket.issued_at)
    if issued_at is not None:
        when = format_local_time(issued_at, ticket.timezone)
        blocks.append(Text(lookup(CATALOGUE, "issued", lang, when=when), align="center"))
    footer = _localized(template.get("footer"), language)
    if footer:
        blocks.append(Text(footer, align="center"))
    blocks.append(Cut())
    return blocks


def build_test_layout(printer_name: str, url: str, now: datetime | None = None) -> list[Block]:
    """Build a printer test page: sizes, accents, a right-to-left line, a QR code and a cut.

    `now` (aware) adds a UTC time stamp; without it the page is fully deterministic.
    """
    blocks: list[Block] = [
        Text("ServicePoint", size=(2, 2), bold=True, align="center"),
        Text(lookup(CATALOGUE, "test_title", "en"), bold=True, align="center"),
        Rule(),
        Text(f"Printer: {printer_name}"),
        Text(f"URL: {url}"),
    ]
    if now is not None:
        blocks.append(Text(f"Time: {format_local_time(now, 'UTC')} UTC"))
    blocks += [
        Rule(),
        Text("Normal 1x1"),
        Text("Bold", bold=True),
        Text("Double 2x2", size=(2, 2)),
        Text("Right", align="right"),
        Text("Accents: àéíóú ñ ç ü ß €", align="left"),
        Text(lookup(CATALOGUE, "test_ok", "ar"), align="right"),
        BigNumber("A000"),
        QR(url or printer_name or "ServicePoint"),
        Text(lookup(CATALOGUE, "test_ok", "en"), align="center"),
        Cut(),
    ]
    return blocks
