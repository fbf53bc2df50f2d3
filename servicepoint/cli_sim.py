"""``servicepoint simulate``: play branch days on a simulated clock and report KPIs and estimate accuracy."""
from __future__ import annotations

import json
import os
import tempfile

import click

from .cli import cli


@cli.command()
@click.option("--db", "sim_db", default=None, type=click.Path(dir_okay=False),
              help="Simulate into this database (kept); a new one is set up from --config. "
                   "Default: a temporary database, removed afterwards.")
@click.option("--config", "config_path", default=None, type=click.File("r", encoding="utf-8"),
              help="Branch file (the format of `config export`) to set up a new database from. "
                   "Default: the demo branch, or one service when --counters is given.")
@click.option("--counters", default=None, type=click.IntRange(1, 200),
              help="Counters staffed (with --config: the first N of the file's).")
@click.option("--arrivals-per-hour", default=None, type=click.FloatRange(0, 100000),
              help="Customers per hour for the whole branch, on average "
                   "(default: 65 % of the counters' capacity).")
@click.option("--mean-service-min", default=None, type=click.FloatRange(0.05, 600),
              help="Mean service time in minutes for every service "
                   "(default: each service's default service time).")
@click.option("--service-dist", default="exponential", show_default=True,
              type=click.Choice(["exponential", "lognormal"]),
              help="Distribution of service times (lognormal: coefficient of variation 0.8).")
@click.option("--profile", default="flat", show_default=True, type=click.Choice(["flat", "peaks"]),
              help="Arrivals through the day: steady, or morning and lunchtime peaks.")
@click.option("--hours", default=8.0, show_default=True, type=click.FloatRange(1, 24),
              help="Opening hours per day from 09:00 (24: open round the clock, "
                   "--days then run as one continuous stretch).")
@click.option("--days", default=1, show_default=True, type=click.IntRange(1, 400),
              help="Branch days to play (weekdays).")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the randomness.")
@click.option("--textbook", is_flag=True,
              help="Customers as queueing theory has them: no walking, recalls, no-shows, "
                   "transfers, priority or breaks (compare with Erlang C).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line instead of a table.")
def simulate(sim_db: str | None, config_path, counters: int | None,
             arrivals_per_hour: float | None, mean_service_min: float | None, service_dist: str,
             profile: str, hours: float, days: int, seed: int, textbook: bool,
             as_json: bool) -> None:
    """Play branch days with simulated customers and report KPIs and wait-estimate accuracy."""
    from .branch_file import ConfigFileError
    from .sim.run import Options
    from .sim.run import simulate as run

    opts = Options(counters=counters, arrivals_per_hour=arrivals_per_hour,
                   mean_service_min=mean_service_min, distribution=service_dist, hours=hours,
                   days=days, seed=seed, profile=profile, textbook=textbook,
                   branch_text=config_path.read() if config_path is not None else None)
    folder = None
    if sim_db is None:
        folder = tempfile.mkdtemp(prefix="servicepoint-sim-")
        sim_db = os.path.join(folder, "sim.db")
    try:
        result = run(sim_db, opts)
    except (ConfigFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if folder is not None:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    if as_json:
        click.echo(json.dumps(result, sort_keys=True))
        return
    for key, value in result.items():
        click.echo(f"{key:24} {value}")
