"""Bytes to commands: split an ESC/POS stream into `Command`s.

`parse_commands(data, final)` knows the length of every command ServicePoint
emits (and of most common others), so a status query (`DLE EOT n`) is only
recognised at a command boundary and never inside raster or QR data.  With
`final=False` it stops before an incomplete command, which is what the
emulator needs for a byte stream.  Pure: no device, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
_TEXT_RUN = re.compile(rb"[\x20-\xff]+")

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
