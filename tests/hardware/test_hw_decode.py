"""The ESC/POS decoder used by the emulator."""

from __future__ import annotations

import io

from hardware.decode import decode
from hardware.decode.interpret import FeedLines, PaperCut, QRCode, RasterImage, TextLine
from hardware.decode.parse import parse_commands
from hardware.layout import QR, Text
from hardware.render_escpos import render_escpos


def test_status_query_inside_image_data_is_not_a_command():
    raster = b"\x1dv0\x00\x02\x00\x01\x00" + b"\x10\x04"  # 16x1 image whose data looks like DLE EOT
    commands, used = parse_commands(raster + b"\x10\x04\x01")
    assert [c.name for c in commands] == ["raster", "status_query"]
    assert used == len(raster) + 3


def test_incomplete_commands_wait_for_more_bytes():
    data = b"\x1b@abc\x1d(k\x1e\x001P0https://"
    commands, used = parse_commands(data, final=False)
    assert [c.name for c in commands] == ["init", "text"] and used == 5
    commands, _ = parse_commands(data, final=True)
    assert commands[-1].name == "truncated"


def test_styles_alignment_and_print_mode():
    data = b"\x1b@\x1ba\x02\x1b!\x38Big\n\x1b!\x00\x1b-\x01u\n\x1ba1x\n"
    lines = [e for e in decode(data).elements if isinstance(e, TextLine)]
    assert lines[0].align == "right" and lines[0].segments[0].bold
    assert (lines[0].width, lines[0].height) == (2, 2)
    assert lines[1].segments[0].underline
    assert lines[2].align == "center"


def test_elements_of_a_rendered_job():
    data = render_escpos([Text("Hi", size=(2, 2)), QR("https://x.example/1", size=5), Text("مرحبا")])
    elements = decode(data).elements
    kinds = [type(e) for e in elements]
    assert kinds[:2] == [TextLine, QRCode] and RasterImage in kinds
    assert elements[1] == QRCode("https://x.example/1", 5, "M", "center")


def test_feeds_and_cuts_in_text():
    data = b"\x1b@one\x1bd\x03two\n\x1bd\x06\x1dVB\x00"
    decoded = decode(data)
    assert FeedLines(lines=2) in decoded.elements and decoded.elements[-1] == PaperCut(partial=True)
    assert decoded.text() == "one\n\n\ntwo\n[CUT]\n"


def test_unknown_and_other_commands_are_skipped():
    data = b"\x1bp\x00\x19\xfa\x1dk\x04ABC\x00\x1dk\x49\x03abc\x1b*\x00\x02\x00\xff\xffX\n\x07"
    names = [c.name for c in parse_commands(data)[0]]
    assert names == ["drawer", "barcode", "barcode", "column_image", "text", "lf", "bel"]


def test_png_rendering(ticket):
    from PIL import Image

    from hardware.layout import build_ticket_layout

    png = decode(render_escpos(build_ticket_layout(ticket))).png()
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as image:
        assert image.width == 576 and 400 < image.height < 2000


# ---------------------------------------------------------------- properties of the stream parser

from hypothesis import (  # noqa: E402
    given,
    settings,
)
from hypothesis import (
    strategies as st,  # noqa: E402
)

PIECES = st.sampled_from([
    b"\x1b@", b"\x1bt\x10", b"\x1d!\x11", b"\x1ba\x01", b"\x10\x04\x01", b"\x1dV\x00", b"\x1dVB\x00",
    b"\x1d(k\x03\x001C\x06", b"\x1d(k\x07\x001P0abcd", b"\x1dv0\x00\x01\x00\x02\x00\x10\x04", b"Hello",
    b"\n", b"\x1bd\x03", b"\xc4\xc4", b"\x1b", b"\x1d", b"\x10", b"\x00",
])


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_parser_never_fails_and_consumes_everything(data):
    commands, used = parse_commands(data, final=True)
    assert used == len(data)
    assert b"".join(c.raw for c in commands) == data


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=30), st.lists(st.integers(1, 20), max_size=10))
def test_streaming_in_chunks_gives_the_same_commands(pieces, cuts):
    data = b"".join(pieces)
    whole, _ = parse_commands(data, final=False)
    streamed, buffer, i = [], b"", 0
    for size in cuts + [len(data)]:
        buffer += data[i:i + size]
        i += size
        commands, used = parse_commands(buffer, final=False)
        streamed += commands
        buffer = buffer[used:]
    merged = []
    for command in streamed:  # a text run may arrive in several chunks
        if merged and command.name == merged[-1].name == "text":
            merged[-1] = type(command)("text", merged[-1].raw + command.raw)
        else:
            merged.append(command)
    assert [(c.name, c.raw) for c in merged] == [(c.name, c.raw) for c in whole]
