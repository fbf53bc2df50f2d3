"""Retention: after the branch's retention period, visits lose what could identify a visitor.

Timings, states, services, counters, staff, outcomes and ratings stay, so every
report over an anonymised period gives the same figures; the tracking secret,
language, kiosk, idempotency key, print payload details and any free text go
(see ``servicepoint.domain.upkeep`` for the list kept). Work goes in batches so
kiosks never wait long behind it for the write lock.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import TYPE_CHECKING

from . import upkeep_store
from .db import immediate
from .domain import upkeep
from .setup_store import read_settings

if TYPE_CHECKING:
    from .dayclose import UpkeepPorts


@dataclasses.dataclass(frozen=True)
class RetentionResult:
    cutoff: dt.datetime
    days: int
    tickets: int
    events: int
    print_jobs: int


def run_retention(ports: UpkeepPorts, *, days: int | None = None, batch: int = 100) -> RetentionResult:
    """Anonymise ended visits issued more than ``days`` ago (default: the branch setting).

    Safe to repeat: a visit is anonymised once. Raises ValueError for ``days`` < 1.
    """
    now = ports.clock.now()
    days = read_settings(ports.conn).retention_days if days is None else days
    cutoff = upkeep.retention_cutoff(now, days)
    totals = [0, 0, 0]
    # Each batch starts after the last one's highest id: searching from the first ticket
    # again would step over every visit already anonymised, a longer scan (inside the
    # write lock) with every batch of a large history.
    after = 0
    while True:
        began = time.monotonic()
        with immediate(ports.conn):
            ids = upkeep_store.tickets_to_anonymise(ports.conn, cutoff, batch, after)
            counts = upkeep_store.anonymise(ports.conn, ids, now)
        after = ids[-1] if ids else after
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if len(ids) < batch:
            break
        # Leave the write lock free for as long as the batch held it: a kiosk or counter
        # waiting for it polls with growing sleeps and would otherwise keep missing the
        # moment between two batches (a year of imported history took call-next to 1 s).
        time.sleep(min(0.2, max(0.01, time.monotonic() - began)))
    return RetentionResult(cutoff, days, *totals)
