"""Geometry of the report page's SVG charts (drawn by ``_chart.html`` and ``_heat.html``).

Only numbers and labels here: the templates write the SVG, so every text is
escaped and the page carries no script. Each chart also has a table of the
same figures (its fallback for screen readers and for print).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable, Sequence

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56


@dataclasses.dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str
    text: str
    show_label: bool


@dataclasses.dataclass
class Chart:
    """A bar chart: bars, y ticks, reference lines (a target, a goal) and axis titles."""

    id: str
    title: str
    desc: str
    x_title: str
    y_title: str
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    refs: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: float = HEIGHT - BOTTOM
    plot_right: float = WIDTH - RIGHT

    @property
    def empty(self) -> bool:
        return not any(b.h > 0 for b in self.bars)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def bars(id: str, title: str, desc: str, x_title: str, y_title: str,
         items: Sequence[tuple[str, float | None]], fmt: Callable[[float], str], *,
         vmax: float | None = None, refs: Sequence[tuple[float, str]] = ()) -> Chart:
    """A vertical bar chart of ``items`` (label, value; None draws no bar)."""
    values = [v for _, v in items if v is not None]
    top = vmax if vmax is not None else _nice_max(max(values + [r for r, _ in refs] + [0.0]))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    n = max(1, len(items))
    step = plot_w / n
    every = max(1, math.ceil(n / 14))  # at most ~14 labels on the x axis
    out = []
    for i, (label, v) in enumerate(items):
        h = 0.0 if v is None else plot_h * min(v, top) / top
        out.append(Bar(x=LEFT + i * step + step * 0.12, y=TOP + plot_h - h, w=step * 0.76, h=h,
                       label=label, text="—" if v is None else fmt(v),
                       show_label=i % every == 0))
    ticks = [(TOP + plot_h - plot_h * k / 4, fmt(top * k / 4)) for k in range(5)]
    lines = [(TOP + plot_h - plot_h * min(r, top) / top, text) for r, text in refs]
    return Chart(id, title, desc, x_title, y_title, out, ticks, lines)


@dataclasses.dataclass
class Heat:
    """A weekday × hour grid; each cell's shade follows its value."""

    id: str
    title: str
    desc: str
    rows: list[str]
    hours: list[int]
    cells: list[dict]
    width: int
    height: int
    cell_w: float = 40
    cell_h: float = 30
    left: int = 110
    top: int = 28


def heat(id: str, title: str, desc: str, weekdays: Sequence[str], hours: Sequence[int],
         value: Callable[[int, int], float | None], fmt: Callable[[float], str]) -> Heat:
    """A heat map with one row per weekday (0 = Monday) and one column per hour."""
    values = [v for wd in range(7) for h in hours if (v := value(wd, h)) is not None]
    top = max(values) if values else 1.0
    cell_w, cell_h, left, top_px = 40.0, 30.0, 110, 28
    cells = []
    for wd in range(7):
        for j, h in enumerate(hours):
            v = value(wd, h)
            share = 0.0 if v is None or top <= 0 else v / top
            cells.append({"x": left + j * cell_w, "y": top_px + wd * cell_h, "w": cell_w - 2,
                          "h": cell_h - 2, "share": share, "dark": share > 0.55,
                          "text": "" if v is None else fmt(v), "row": wd, "hour": h,
                          # light (#eef4fb) to dark blue (#0b4f8a)
                          "fill": _shade(share) if v is not None else "#f6f7f9"})
    return Heat(id, title, desc, list(weekdays), list(hours), cells,
                width=int(left + cell_w * max(1, len(hours)) + 8),
                height=int(top_px + cell_h * 7 + 8))


def _shade(share: float) -> str:
    lo, hi = (0xEE, 0xF4, 0xFB), (0x0B, 0x4F, 0x8A)
    rgb = [round(a + (b - a) * share) for a, b in zip(lo, hi, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)
