"""``servicepoint reports rebuild``: recompute the report summaries from ``ticket_events``."""
from __future__ import annotations

import os
import time

import click

from .cli import Context, cli


@cli.group()
def reports() -> None:
    """Reports against the service agreement."""


@reports.command("rebuild")
@click.pass_obj
def reports_rebuild(obj: Context) -> None:
    """Recompute every report summary from ticket_events (after an upgrade or an import).

    Months are computed by one process per CPU core; reports keep the old summaries
    until the new ones are complete.
    """
    from .db import immediate
    from .report_store import rebuild

    conn = obj.connect()
    try:
        started = time.monotonic()
        # One write transaction: reports keep reading the old summaries until it commits.
        with immediate(conn):
            read = rebuild(conn, database=obj.db, workers=os.cpu_count() or 1)
        click.echo(f"Rebuilt the report summaries from {read} ended tickets"
                   f" in {time.monotonic() - started:.1f} s")
    finally:
        conn.close()
