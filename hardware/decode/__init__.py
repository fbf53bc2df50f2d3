"""Decode ESC/POS byte streams back into what a printer would put on paper.

Three layers, all pure, one module each:

* `hardware.decode.parse`: bytes to `Command`s (`parse_commands`);
* `hardware.decode.interpret`: commands to a page of `Element`s (`interpret`),
  by a small printer model;
* `hardware.decode.render`: a page to plain text or a PNG.

`decode(data)` runs the three for a complete job; the emulator and the tests
use it to read what was printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardware.decode.interpret import Element, interpret
from hardware.decode.parse import Command, parse_commands
from hardware.decode.render import page_image, page_png, page_text


@dataclass
class Decoded:
    """A decoded job: its commands, the elements they print, and renderings of them."""

    commands: list[Command]
    elements: list[Element]
    paper_dots: int = 576

    def text(self) -> str:
        """Plain-text rendering: aligned text lines, `[QR: payload]`, `[IMAGE WxH]`, `[CUT]`."""
        return page_text(self.elements, self.paper_dots)

    def image(self) -> Any:
        """The ticket as a Pillow "L" image `paper_dots` wide."""
        return page_image(self.elements, self.paper_dots)

    def png(self) -> bytes:
        """The ticket picture as PNG bytes."""
        return page_png(self.elements, self.paper_dots)


def decode(data: bytes, profile: str = "default", paper_dots: int = 576) -> Decoded:
    """Decode a complete ESC/POS job (text code pages per `profile`) into a `Decoded` ticket."""
    commands, _ = parse_commands(data, final=True)
    return Decoded(commands, interpret(commands, profile), paper_dots)
