"""Pairing use cases: a screen asks for a code, someone enters it, the screen claims its credential.

1. :func:`start`: an unpaired kiosk, display or print agent gets a one-time code
   to show and keeps a secret *claim* (a browser in an HttpOnly cookie, an agent
   in memory).
2. :func:`approve`: a technician, manager or admin enters the code (on
   ``/hardware/devices`` or with ``servicepoint device pair CODE --as K1``) and
   names the device; this is audited.
3. :func:`claim`: the screen, asking again with its claim, receives a long-lived
   device credential once — a cookie for a browser, a bearer token for an agent.
4. :func:`revoke` ends a device's credentials at once (audited).

Every function takes :class:`PairingPorts` and raises
:class:`~servicepoint.domain.branch.InvalidSetup` for what a person typed wrong,
:class:`~servicepoint.domain.pairing.PairingRefused` for a claim that cannot be
honoured.
"""
from __future__ import annotations

import dataclasses
import secrets
from typing import Any, Callable, Protocol

from .domain.branch import FieldError, InvalidSetup
from .domain.pairing import (
    CODE_TTL,
    TRANSPORTS,
    PairingRefused,
    PairingRequest,
    new_code,
    normalise_code,
)
from .ports import Clock, NotFound


class PairingStore(Protocol):
    """What the use cases need from storage (see :mod:`servicepoint.pairing_store`)."""

    def __enter__(self) -> Any: ...
    def __exit__(self, exc_type, exc, tb) -> None: ...
    def device_kind(self, code: str) -> str | None: ...
    def request_by_claim(self, claim: str) -> PairingRequest | None: ...
    def open_request_by_code(self, code: str, now) -> PairingRequest | None: ...
    def code_in_use(self, code: str, now) -> bool: ...
    def add_request(self, *, code: str, claim: str, transport: str, wanted_code: str | None,
                    address: str | None, now, expires_at) -> None: ...
    def renew_request(self, request_id: int, code: str, expires_at) -> None: ...
    def approve(self, request_id: int, device_code: str, actor: str, now) -> None: ...
    def mark_claimed(self, request_id: int, now) -> None: ...
    def add_credential(self, *, device_code: str, transport: str, token: str, name: str,
                       address: str | None, now) -> int: ...
    def revoke(self, device_code: str, now, credential_id: int | None = None) -> int: ...
    def audit(self, *, at, actor: str, action: str, entity: str, key: str,
              before: dict | None, after: dict | None) -> None: ...


def _noop(topic: str) -> None:
    return None


@dataclasses.dataclass
class PairingPorts:
    """Storage, clock, who acts (as the audit log names them) and the live-update hook."""

    store: PairingStore
    clock: Clock
    actor: str
    notify: Callable[[str], None] = _noop


@dataclasses.dataclass(frozen=True)
class Started:
    """What an unpaired screen shows (``code``) and keeps to itself (``claim``)."""

    code: str
    claim: str
    expires_at: Any


@dataclasses.dataclass(frozen=True)
class Claimed:
    """A fresh device credential: shown once to the device that claimed it."""

    device_code: str
    kind: str
    transport: str
    token: str


def start(p: PairingPorts, *, transport: str, claim: str | None = None,
          wanted_code: str | None = None, address: str | None = None) -> Started:
    """A code for an unpaired screen or agent to show.

    A ``claim`` the store knows (a screen reloaded before its code was entered)
    keeps its request and gets a new code; otherwise a new request and claim are
    made. Raises ValueError for an unknown ``transport``.
    """
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}")
    now = p.clock.now()
    expires = now + CODE_TTL
    with p.store:
        code = new_code()
        while p.store.code_in_use(code, now):  # two screens never show the same code
            code = new_code()
        known = p.store.request_by_claim(claim) if claim else None
        if known is not None and known.device_code is None and known.transport == transport:
            p.store.renew_request(known.id, code, expires)
            assert claim is not None
            return Started(code, claim, expires)
        claim = secrets.token_urlsafe(32)
        p.store.add_request(code=code, claim=claim, transport=transport,
                            wanted_code=wanted_code, address=address, now=now,
                            expires_at=expires)
    p.notify("devices")
    return Started(code, claim, expires)


def approve(p: PairingPorts, code_text: Any, device_code: Any) -> PairingRequest:
    """Bind the screen showing ``code_text`` to device ``device_code`` (audited).

    Raises :class:`InvalidSetup` (fields ``code`` and ``device``) for a code that
    is malformed, unknown, expired or already entered, and for a device the
    branch does not have.
    """
    code = normalise_code(code_text)
    errors = []
    if code is None:
        errors.append(("code", "pairing.bad_code", "must be the 6 digits the screen shows"))
    device = device_code.strip() if isinstance(device_code, str) else ""
    now = p.clock.now()
    with p.store:
        kind = p.store.device_kind(device) if device else None
        if kind is None:
            errors.append(("device", "pairing.unknown_device",
                           "choose a kiosk or display of this branch"))
        request = p.store.open_request_by_code(code, now) if code else None
        if code is not None and request is None:
            errors.append(("code", "pairing.no_such_code",
                           "no screen shows this code now; it may have expired — "
                           "reload the screen for a new one"))
        if errors:
            raise InvalidSetup(FieldError(*e) for e in errors)
        assert request is not None
        p.store.approve(request.id, device, p.actor, now)
        p.store.audit(at=now, actor=p.actor, action="pair", entity="device", key=device,
                      before=None, after={"kind": kind, "transport": request.transport,
                                          "address": request.address})
    p.notify("devices")
    return dataclasses.replace(request, device_code=device)


def claim(p: PairingPorts, claim_secret: str | None, *, name: str = "") -> Claimed | None:
    """The device credential for an entered code, once; None while nobody has entered it.

    Raises :class:`PairingRefused` (``pairing_expired``) when the claim is unknown,
    already used, or its code expired unentered: the screen should start over.
    """
    if not claim_secret:
        raise PairingRefused("This screen has no pairing code", "pairing_expired")
    now = p.clock.now()
    with p.store:
        request = p.store.request_by_claim(claim_secret)
        if request is None or request.claimed:
            raise PairingRefused("This pairing code was already used", "pairing_expired")
        if request.device_code is None:
            if request.expires_at <= now:
                raise PairingRefused("This pairing code expired", "pairing_expired")
            return None
        kind = p.store.device_kind(request.device_code)
        if kind is None:  # removed between the code's entry and the claim
            raise PairingRefused("This device no longer exists", "pairing_expired")
        token = ("spd_" if request.transport == "cookie" else "sp_") + secrets.token_urlsafe(32)
        label = name or f"{request.device_code} ({'browser' if request.transport == 'cookie' else 'agent'})"
        p.store.add_credential(device_code=request.device_code, transport=request.transport,
                               token=token, name=label[:60], address=request.address, now=now)
        p.store.mark_claimed(request.id, now)
    p.notify("devices")
    return Claimed(request.device_code, kind, request.transport, token)


def revoke(p: PairingPorts, device_code: str, credential_id: int | None = None) -> int:
    """End device ``device_code``'s credentials (or the one given) at once; audited.

    Returns how many were live. Raises :class:`NotFound` for an unknown device.
    """
    now = p.clock.now()
    with p.store:
        if p.store.device_kind(device_code) is None:
            raise NotFound("device", device_code)
        count = p.store.revoke(device_code, now, credential_id)
        if count:
            p.store.audit(at=now, actor=p.actor, action="revoke", entity="device",
                          key=device_code, before={"credentials": count}, after=None)
    p.notify("devices")
    return count
