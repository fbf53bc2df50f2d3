"""What the reports page shows, from a report's data: its tables (also its CSV files)
and its charts, in the manager's language."""
from __future__ import annotations

import math

from . import charts as ch
from . import texts

TABLES = ("kpis", "days", "heat", "counters", "staff", "waits")
WEEKDAYS = tuple(f"wd.{i}" for i in range(7))


def _num(x) -> str:
    return "" if x is None else x


def _s(x) -> str:
    """Seconds to 0.1, for CSV."""
    return "" if x is None else f"{x:.1f}"


def wait_bins(data: dict) -> tuple[list[tuple[float, float | None]], list[int]]:
    """Bins of the wait distribution (from, to; None = and more) and their counts."""
    h = data["wait_hist"]
    targets = [b.get("target_wait_s") or 0 for b in data["services"].values()]
    p90 = data["overall"]["wait"]["p90_s"] or 0
    top = max(p90 * 1.2, max(targets + [0]) * 2, 600)
    step = max(60, int(math.ceil(top / 15 / 60)) * 60)
    edges = [float(step * k) for k in range(1, 16)]
    counts = h.shares(edges)
    lows = [0.0] + edges
    return [(lo, edges[i] if i < len(edges) else None) for i, lo in enumerate(lows)], counts


def table(name: str, data: dict) -> tuple[list[str], list[list]]:
    """Columns and rows of one of the page's tables (plain values, seconds to 0.1)."""
    if name == "kpis":
        rows = []
        for svc, b in [*data["services"].items(), ("ALL", data["overall"])]:
            rows.append([svc, b["issued"], b["finished"], b["cancelled"], b["no_shows"],
                         _num(b["no_show_rate"]), _s(b["wait"]["mean_s"]), _s(b["wait"]["p90_s"]),
                         _s(b["wait"]["max_s"]), _num(b["service_level"]),
                         _num(b.get("target_wait_s")), _num(b.get("service_level_goal")),
                         _s(b["service_time"]["mean_s"]), _num(b["throughput_per_hour"]),
                         _num(b["first_contact_resolution"]), _num(b["csat"]), _num(b["nps"])])
        return (["service", "issued", "served", "cancelled", "no_shows", "no_show_rate",
                 "wait_mean_s", "wait_p90_s", "wait_max_s", "service_level", "target_wait_s",
                 "service_level_goal", "service_time_mean_s", "throughput_per_open_hour",
                 "first_contact_resolution", "csat", "nps"], rows)
    if name in ("counters", "staff"):
        return ([name[:-1] if name == "counters" else "staff", "called", "served", "finished",
                 "no_shows", "wait_mean_s", "service_mean_s", "serving_s", "open_s", "utilisation"],
                [[k, r["called"], r["served"], r["finished"], r["no_shows"], _s(r["wait_mean_s"]),
                  _s(r["service_mean_s"]), _s(r["serving_s"]), _s(r["open_s"]),
                  _num(r["utilisation"])] for k, r in data[name].items()])
    if name == "days":
        return (["day", "issued", "called", "served", "wait_mean_s", "service_level"],
                [[d["day"], d["issued"], d["called"], d["finished"], _s(d["wait_mean_s"]),
                  _num(d["service_level"])] for d in data["days"]])
    if name == "heat":
        cells = data["heat"]["cells"]
        return (["weekday", "hour", "arrivals", "wait_mean_s"],
                [[wd + 1, h, cells[(wd, h)]["issued"], _s(cells[(wd, h)]["wait_mean_s"])]
                 for wd in range(7) for h in data["heat"]["hours"] if (wd, h) in cells])
    if name == "waits":
        bins, counts = wait_bins(data)
        return (["from_s", "to_s", "tickets"],
                [[f"{lo:.0f}", "" if hi is None else f"{hi:.0f}", n]
                 for (lo, hi), n in zip(bins, counts, strict=True)])
    raise KeyError(name)


def charts(data: dict, lang: str) -> dict:
    """The page's charts, titled and labelled in ``lang``."""
    tr = texts.TEXTS.translator(lang)

    def minutes(s: float) -> str:
        return tr("r.min", n=f"{s / 60:.0f}" if s >= 600 or s == 0 else f"{s / 60:.1f}")

    def pct(x: float) -> str:
        return f"{x * 100:.0f} %"

    days = data["days"]
    targets = sorted({b["target_wait_s"] for b in data["services"].values() if b.get("target_wait_s")})
    goals = sorted({b["service_level_goal"] for b in data["services"].values()
                    if b.get("service_level_goal")})
    out = {
        "wait_days": ch.bars("chart-wait-days", tr("r.chart.wait_days"), tr("r.chart.wait_days.desc"),
                             tr("r.axis.day"), tr("r.axis.mean_wait"),
                             [(d["day"][5:], d["wait_mean_s"]) for d in days], minutes,
                             refs=[(t, tr("r.target", t=minutes(t))) for t in targets]),
        "sl_days": ch.bars("chart-sl-days", tr("r.chart.sl_days"), tr("r.chart.sl_days.desc"),
                           tr("r.axis.day"), tr("r.axis.service_level"),
                           [(d["day"][5:], d["service_level"]) for d in days], pct, vmax=1.0,
                           refs=[(g, tr("r.goal", g=pct(g))) for g in goals]),
        "counters": ch.bars("chart-counters", tr("r.chart.counters"), tr("r.chart.counters.desc"),
                            tr("counter"), tr("r.axis.utilisation"),
                            [(c, r["utilisation"]) for c, r in data["counters"].items()], pct,
                            vmax=1.0),
        "staff": ch.bars("chart-staff", tr("r.chart.staff"), tr("r.chart.staff.desc"),
                         tr("staff"), tr("r.axis.utilisation"),
                         [(s, r["utilisation"]) for s, r in data["staff"].items()], pct, vmax=1.0),
    }
    bins, counts = wait_bins(data)
    out["waits"] = ch.bars(
        "chart-waits", tr("r.chart.waits"), tr("r.chart.waits.desc"), tr("r.axis.wait"),
        tr("r.axis.tickets"),
        [(f"{lo / 60:.0f}–{hi / 60:.0f}" if hi is not None else f"{lo / 60:.0f}+", float(n))
         for (lo, hi), n in zip(bins, counts, strict=True)], lambda n: f"{n:.0f}")
    # The target as a vertical mark: at its bin's place on the x axis.
    step = bins[1][0] if len(bins) > 1 else 60.0
    plot_w = ch.WIDTH - ch.LEFT - ch.RIGHT
    out["waits_targets"] = [
        (ch.LEFT + plot_w * min(t / step, len(bins)) / len(bins), tr("r.target", t=minutes(t)))
        for t in targets]
    cells = data["heat"]["cells"]
    hours = data["heat"]["hours"]
    weekdays = [tr(k) for k in WEEKDAYS]
    # Tickets are issued to a service, not to a counter or a person: narrowed to one of
    # those, the map counts the customers they called, by hour of arrival.
    narrowed = bool(data["filters"]["counter"] or data["filters"]["staff"])
    measure = "called" if narrowed else "issued"
    title = "r.chart.heat_called" if narrowed else "r.chart.heat_arrivals"
    out["heat_arrivals"] = ch.heat(
        "heat-arrivals", tr(title), tr(title + ".desc"), weekdays,
        hours, lambda wd, h: cells[(wd, h)][measure] if (wd, h) in cells else None,
        lambda v: f"{v:.0f}")
    out["heat_waits"] = ch.heat(
        "heat-waits", tr("r.chart.heat_waits"), tr("r.chart.heat_waits.desc"), weekdays, hours,
        lambda wd, h: cells[(wd, h)]["wait_mean_s"] if (wd, h) in cells else None,
        lambda v: f"{v / 60:.0f}")
    return out
