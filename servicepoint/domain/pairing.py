"""Pairing a screen or a print agent with a device the branch expects: the one-time code.

An unpaired kiosk, display or print agent shows a short code; someone signed in
as technician, manager or admin types it in and names the device it becomes.
The code is six digits shown as ``482 913`` (easy to read across a room and to
type on a tablet), lives :data:`CODE_TTL` and is used once. Guessing is no way
in: only a signed-in technician, manager or admin can enter a code, and the
screen's secret (never shown) is what finally receives the credential.

Standard library only.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets

from .model import DomainError

CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=15)
# How many tickets a minute one kiosk may issue unless its own setting says otherwise.
# A person needs at least ~3 s at a kiosk (choose, tap, take the ticket): 20 a minute
# never refuses a real queue, and the sliding window lets a burst through.
DEFAULT_KIOSK_RATE_PER_MIN = 20
# A device credential's two transports: a browser's HttpOnly cookie, an agent's bearer token.
TRANSPORTS = ("cookie", "bearer")
_SPACES = re.compile(r"[\s.-]+")


@dataclasses.dataclass(frozen=True)
class PairingRequest:
    """A screen or agent waiting for its code to be entered (or entered, not yet claimed)."""

    id: int
    transport: str  # one of TRANSPORTS
    wanted_code: str | None  # the device the screen was opened as, if any
    address: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    device_code: str | None  # the device it was paired as, once its code was entered
    claimed: bool


class PairingRefused(DomainError):
    """A code that is unknown, expired or used, or a device that cannot take it."""


def new_code() -> str:
    """A fresh random code of :data:`CODE_DIGITS` digits."""
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def normalise_code(text: object) -> str | None:
    """The code typed as ``482 913``, ``482-913`` or ``482913``; None when it is not one."""
    if not isinstance(text, str):
        return None
    digits = _SPACES.sub("", text)
    if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def shown(code: str) -> str:
    """How a screen shows ``code``: two groups of three digits."""
    return f"{code[:3]} {code[3:]}"


def device_url(kind: str, code: str) -> str:
    """The path of the page a paired device of ``kind`` opens."""
    return f"/{'kiosk' if kind == 'kiosk' else 'display'}/{code}"
