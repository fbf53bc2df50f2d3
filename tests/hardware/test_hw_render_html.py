"""HTML preview rendering."""

from __future__ import annotations

import re

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
from hardware.render_html import qr_svg, render_html


def test_preview_contains_the_ticket(ticket):
    html = render_html(build_ticket_layout(ticket))
    assert html.startswith('<div class="ticket-preview">') and html.endswith("</div>")
    assert '<p class="tp-number" dir="ltr">A042</p>' in html
    assert "Accounts &amp; Cards" in html
    assert "Estimated wait: about 9\u201315 min" in html
    assert "<svg" in html and 'aria-label="QR code: https://sp.example/t/8f3a2c"' in html
    assert 'class="tp-cut"' in html


def test_everything_is_escaped():
    evil = '<script>alert("x")</script>'
    html = render_html([Text(evil), BigNumber(evil), QR('"><img src=x onerror=alert(1)>')])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert "style=" not in html  # classes only: works under a strict CSP


def test_qr_svg_is_a_valid_square():
    svg = qr_svg("https://sp.example/t/1")
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    assert size >= 21 + 8
    assert svg.count("h1v1h-1z") > 100


def test_sizes_rules_feeds_and_logo(tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (10, 10), "red").save(logo)
    html = render_html([Text("Big", size=(2, 3), bold=True, align="right"), Rule(), Feed(2),
                        Logo(str(logo)), Logo(str(tmp_path / "missing.png")), Cut()])
    assert 'class="tp-text tp-right tp-w2 tp-h3 tp-bold"' in html
    assert html.count('class="tp-feed"') == 2
    assert html.count("data:image/png;base64,") == 1
