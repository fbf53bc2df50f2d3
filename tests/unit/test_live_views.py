"""The phone stream's payload (servicepoint/live_views.py)."""
from __future__ import annotations

import dataclasses

from servicepoint.live_views import TicketLive


def test_the_payload_carries_every_field_of_the_ticket_view():
    live = TicketLive(state="waiting", ahead=2, lead="2 people ahead of you.", wait="about 4 min",
                      nudge="Only 2 people ahead of you", counter=None, key="waiting|||0")
    assert live.as_json() == dataclasses.asdict(live)
