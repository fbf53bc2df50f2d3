"""ESC/POS rendering: exact bytes of the reference ticket, widths, raster fallback, profiles."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from hardware.decode import decode
from hardware.decode.interpret import RasterImage, TextLine
from hardware.decode.parse import parse_commands
from hardware.layout import (
    QR,
    BigNumber,
    Cut,
    Feed,
    Logo,
    Rule,
    Text,
    build_ticket_layout,
)
from hardware.render_escpos import (
    Media,
    clean_text,
    media_for,
    printable_as_text,
    render_escpos,
    text_image,
    visual_order,
)

RULE = b"\xc4" * 48 + b"\n"  # U+2500 in code page 437

# Built once with render_escpos, reviewed by decoding it (see test below), then frozen.
# Its 386 bytes take 0.4 s at 9600 baud: a ticket must stay this small.
REFERENCE_TICKET = (
    b"\x1b@"  # ESC @ init
    b"\x1ba\x01\x1bE\x01\x1bt\x00Central Branch\n"  # centre, bold, code page 437
    b"\x1bd\x01"  # feed 1 line
    b"\x1bE\x00Your number\n"
    b"\x1bE\x01\x1d!wA042\n"  # bold, GS ! 0x77 = 8x8
    b"\x1d!\x01Accounts & Cards\n"  # 1x2
    b"\x1ba\x00\x1bE\x00\x1d!\x00" + RULE +
    b"People ahead: 3\n"
    b"Estimated wait: about 9\x1bt\x10\x9615 min\n"  # en dash via code page 1252
    b"\x1bt\x00" + RULE +
    b"\x1ba\x01"
    b"\x1d(k\x04\x001A2\x00"  # QR model 2
    b"\x1d(k\x03\x001C\x06"  # module size 6
    b"\x1d(k\x03\x001E1"  # error correction M
    b"\x1d(k\x1e\x001P0https://sp.example/t/8f3a2c"  # store payload
    b"\x1d(k\x03\x001Q0"  # print symbol
    b"Scan to follow your turn\n"
    b"Issued 2025-03-14 10:41\n"
    b"Thank you for your visit\n"
    b"\x1bd\x06\x1dV\x00"  # feed past the cutter, full cut
)


@pytest.fixture
def reference_blocks(ticket):
    return build_ticket_layout(ticket, {"footer": {"en": "Thank you for your visit"}})


def test_reference_ticket_exact_bytes(reference_blocks):
    assert render_escpos(reference_blocks) == REFERENCE_TICKET


def test_reference_ticket_decodes_to_the_ticket():
    text = decode(REFERENCE_TICKET).text()
    assert text.splitlines() == [
        "                 Central Branch",
        "",
        "                  Your number",
        " A042",
        "                Accounts & Cards",
        "─" * 48,
        "People ahead: 3",
        "Estimated wait: about 9–15 min",
        "─" * 48,
        "[QR: https://sp.example/t/8f3a2c]",
        "            Scan to follow your turn",
        "            Issued 2025-03-14 10:41",
        "            Thank you for your visit",
        "[CUT]",
    ]


def test_media_from_paper_width_and_profile():
    assert media_for("default", 80) == Media(576, 48)
    assert media_for("default", 58) == Media(384, 32)
    assert media_for("TM-T88V", 58) == Media(512, 42)  # the profile knows its media
    assert media_for("POS-5890", 80) == Media(384, 32)
    with pytest.raises(ValueError, match="58 or 80"):
        media_for("default", 76)
    with pytest.raises(KeyError, match="unknown printer profile"):
        media_for("NoSuchPrinter", 80)


@pytest.mark.parametrize(
    ("number", "paper", "factor"),
    [("A042", 80, 8), ("A042", 58, 8), ("AB042", 58, 6), ("AB0042", 58, 5), ("A1", 58, 8)],
)
def test_big_number_uses_the_largest_size_that_fits(number, paper, factor):
    data = render_escpos([BigNumber(number)], paper_mm=paper)
    size = (factor - 1) << 4 | (factor - 1)
    assert b"\x1d!" + bytes([size]) in data
    (line,) = [e for e in decode(data).elements if isinstance(e, TextLine)]
    assert (line.text, line.width, line.height, line.align) == (number, factor, factor, "center")
    assert len(number) * 12 * factor <= {58: 384, 80: 576}[paper]


def test_text_wraps_to_columns_at_its_size():
    data = render_escpos([Text("word " * 20, size=(2, 1))], paper_mm=58)
    lines = [line for line in decode(data, paper_dots=384).elements if isinstance(line, TextLine)]
    assert len(lines) > 1
    assert all(len(line.text) <= 16 for line in lines)


def test_style_commands_are_sent_only_on_change():
    data = render_escpos([Text("a", bold=True), Text("b", bold=True), Text("c")])
    assert data.count(b"\x1bE\x01") == 1
    assert data.count(b"\x1bE\x00") == 1


def test_arabic_is_rasterised_not_question_marks():
    blocks = [Text("رقمك", align="right"), Text("الحسابات والبطاقات", size=(1, 2), bold=True, align="center")]
    data = render_escpos(blocks)
    commands, _ = parse_commands(data)
    names = [c.name for c in commands]
    assert names.count("raster") == 2  # GS v 0, one image per paragraph
    assert b"\x1dv0" in data
    text_bytes = b"".join(c.raw for c in commands if c.name == "text")
    assert b"?" not in text_bytes
    images = [e for e in decode(data).elements if isinstance(e, RasterImage)]
    assert all(0 < img.width <= 576 and img.height > 10 for img in images)
    assert any(byte for byte in images[0].data)  # there is ink


def test_arabic_ticket_keeps_number_and_qr_native(ticket):
    ticket = dataclasses.replace(ticket, language="ar", service_name="الحسابات والبطاقات")
    data = render_escpos(build_ticket_layout(ticket))
    decoded = decode(data)
    assert " A042" in decoded.text().splitlines()
    assert "[QR: https://sp.example/t/8f3a2c]" in decoded.text()
    assert b"?" not in b"".join(c.raw for c in decoded.commands if c.name == "text")
    assert data.endswith(b"\x1dV\x00")


def test_cjk_is_rasterised_instead_of_gb18030():
    data = render_escpos([Text("您的号码")])
    assert b"\x1dv0" in data
    assert "您的号码".encode("gb18030") not in data


def test_accents_use_code_pages():
    data = render_escpos([Text("Su número: señal ç ü ß €")])
    assert b"\x1dv0" not in data
    assert decode(data).text().strip() == "Su número: señal ç ü ß €"


def test_unencodable_punctuation_falls_back_to_plain():
    class OnlyAscii:
        codepages = {"CP437": 0}

        def can_encode(self, name, ch):
            return ord(ch) < 128

    assert printable_as_text("about 10\u201315 min \u201cok\u201d", OnlyAscii()) == 'about 10-15 min "ok"'
    assert printable_as_text("مرحبا", OnlyAscii()) is None


def test_control_characters_cannot_inject_commands():
    data = render_escpos([Text("Evil\x1bd\x09\x1dV\x00 name")])
    assert clean_text("a\x1bb\x00c\nd") == "abc\nd"
    assert b"\x1bd\x09" not in data
    assert data.count(b"\x1dV") == 0


def test_profile_without_native_qr_or_cutter():
    # POS-5890: 58 mm, raster images only, no cutter.
    data = render_escpos([QR("https://sp.example/t/1"), Cut()], profile="POS-5890")
    assert b"\x1d(k" not in data
    assert b"\x1dv0" in data  # QR sent as a raster image
    assert b"\x1dV" not in data
    assert data.endswith(b"\x1bd\x06")


def test_qr_shrinks_to_fit_narrow_paper():
    payload = "https://sp.example/t/" + "x" * 200
    data = render_escpos([QR(payload, size=16)], paper_mm=58)
    qr_size = next(c for c in parse_commands(data)[0] if c.name == "qr_size").args["size"]
    assert qr_size < 16


def test_feed_rule_and_unknown_block():
    data = render_escpos([Feed(3), Rule()], paper_mm=58)
    assert b"\x1bd\x03" in data and b"\xc4" * 32 + b"\n" in data
    with pytest.raises(TypeError):
        render_escpos(["not a block"])


def test_logo_is_scaled_and_missing_logo_is_skipped(tmp_path, caplog):
    from PIL import Image

    path = tmp_path / "logo.png"
    Image.new("RGB", (1000, 100), "black").save(path)
    data = render_escpos([Logo(str(path))])
    raster = next(c for c in parse_commands(data)[0] if c.name == "raster")
    assert raster.args["width_bytes"] * 8 == 576
    with caplog.at_level(logging.WARNING):
        assert render_escpos([Logo(str(tmp_path / "missing.png"))]) == b"\x1b@"
    assert "logo" in caplog.text


def test_text_image_alignment_and_rtl_fallback_order():
    left = text_image("Hello", 576, align="left")
    right = text_image("Hello", 576, align="right")
    assert left.width < 576 and right.width == 576
    assert visual_order("abc 12") == "abc 12"
    assert visual_order("\u0627\u0628 12") == "12 \u0628\u0627"
