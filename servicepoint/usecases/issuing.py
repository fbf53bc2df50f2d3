"""Issuing a ticket: who may have which ticket, its number, its print job, and replays."""
from __future__ import annotations

import dataclasses
import secrets

from ..domain import estimate as est
from ..domain import lifecycle, waits
from ..domain.model import DomainError, Kiosk, Service, State, Ticket
from ..domain.printing import TicketPayload
from ..ports import NotFound, Ports, UnitOfWork
from ..timeutil import branch_day, zone


@dataclasses.dataclass
class IssueResult:
    """A freshly issued (or idempotently replayed) ticket and what the customer is told."""

    ticket: Ticket
    public_id: str
    people_ahead: int
    estimate: est.WaitEstimate
    print_state: str  # queued | not_printed | none
    print_reason: str | None
    print_job_id: int | None
    replayed: bool = False
    service_name: str = ""


def track_url(base: str, public_id: str) -> str:
    """The customer's tracking page for a ticket (what its QR code carries)."""
    return f"{base.rstrip('/')}/t/{public_id}"


def issue_ticket(
    ports: Ports,
    *,
    service: str,
    language: str = "en",
    priority: str = "normal",
    device: str | None = None,
    idempotency_key: str | None = None,
    staff: str | None = None,
    track_base: str = "",
) -> IssueResult:
    """Issue a ticket for ``service``; queue its print job in the same transaction.

    Who asks decides what they may have. ``staff`` names the signed-in user or
    API token holder issuing the ticket; None is an anonymous customer. Staff
    may issue any priority class. An anonymous customer at kiosk ``device``
    may take only the services that kiosk offers, and ``priority`` only when
    the kiosk asks the priority question; ``appointment`` is never
    self-declared (see :func:`servicepoint.domain.lifecycle.issuable_priorities`).

    A repeated ``idempotency_key`` returns the ticket it created the first time.
    Raises :class:`NotFound` for an unknown service or kiosk, and
    :class:`DomainError` for an inactive service (``service_inactive``), one outside
    its opening hours (``service_closed``), a service the kiosk does not offer (``service_not_offered``), a priority the caller may
    not give (``priority_not_allowed``) or an unknown one (``bad_priority``), and
    a key reused for another service (``idempotency_conflict``).
    """
    now = ports.clock.now()
    # Reads first, outside the write lock: the service, the kiosk and its printer,
    # the open counters and service times. Only what allocates and writes runs under it.
    reader = ports.uow()
    svc = reader.service(service)
    if not svc.active:
        raise DomainError(f"Service {service} is not available now", "service_inactive")
    if not svc.hours.accepts_tickets_at(now.astimezone(zone(ports.timezone))):
        raise DomainError(f"Service {service} takes no more tickets today", "service_closed")
    kiosk = _kiosk(reader, device, service)
    prio = lifecycle.check_issuer(priority, staff=staff is not None,
                                  kiosk_asks_priority=kiosk is not None and kiosk.asks_priority)
    printer = kiosk.working_printer if kiosk is not None else None
    day = branch_day(now, ports.timezone)
    branch_name = reader.setting("branch_name", "ServicePoint") if printer is not None else None
    # What the estimate needs besides the waiting tickets (counters, recent visits, usual
    # arrivals and breaks) is read here too: under the lock only the queue is read again.
    context = branch_context(ports, reader, with_waiting=False)
    existing = None
    with ports.uow() as uow:
        if idempotency_key:
            existing = _idempotent_match(uow, idempotency_key, service)
        if existing is None:
            seq = uow.next_seq(service, day)
            ticket, event = lifecycle.issue(service=service, prefix=service, day=day, seq=seq,
                                            at=now, priority=prio, language=language,
                                            staff=staff)
            # 128 random bits: the tracking secret is all a phone needs to see or cancel it.
            public_id = secrets.token_urlsafe(16)
            ticket = uow.add_ticket(ticket, public_id=public_id, device=device,
                                    idempotency_key=idempotency_key)
            uow.add_event(dataclasses.replace(event, ticket_id=ticket.id))
            ahead = uow.people_ahead(ticket, just_issued=True)
            estimate = shown_wait(ports, uow, ticket, context)
            print_state, reason, job_id = "none", None, None
            if printer is not None:
                payload = ticket_payload(ticket, svc, public_id, ahead, estimate, track_base,
                                         ports.timezone, branch_name).to_dict()
                if printer.status.printable:
                    print_state = "queued"
                    job_id = uow.add_print_job(ticket_id=ticket.id, printer_id=printer.id,
                                               payload=payload, at=now)
                else:
                    # Printing it minutes later, when nobody stands at the kiosk, helps no
                    # one: record the job as failed so it can be reprinted on request.
                    print_state, reason = "not_printed", printer.status.value
                    job_id = uow.add_print_job(ticket_id=ticket.id, printer_id=printer.id,
                                               payload=payload, at=now, state="failed",
                                               error=f"printer {printer.status.value} at issue")
    if existing is not None:
        return _replayed(ports, existing, svc, language)
    ports.notify("queue")
    if job_id is not None:
        ports.notify("print")
    return IssueResult(ticket, public_id, ahead, estimate, print_state, reason, job_id,
                       service_name=svc.name(language))


def _kiosk(reader: UnitOfWork, device: str | None, service: str) -> Kiosk | None:
    """Kiosk ``device`` when it offers ``service``; None without a device.

    Raises :class:`NotFound` for an unknown kiosk and :class:`DomainError`
    ``service_not_offered`` for a service the kiosk does not offer.
    """
    if not device:
        return None
    kiosk = reader.kiosk(device)
    if kiosk is None:
        raise NotFound("kiosk", device)
    if not kiosk.offers(service):
        raise DomainError(f"Service {service} is not offered at kiosk {device}",
                          "service_not_offered")
    return kiosk


def _idempotent_match(uow: UnitOfWork, key: str, service: str) -> Ticket | None:
    """The ticket an earlier request with ``key`` created; refuses a key reused for another service."""
    existing = uow.ticket_by_idempotency_key(key)
    if existing is not None and existing.id is not None:
        origin = uow.origin_service(existing.id)
        if origin != service:
            raise DomainError("This Idempotency-Key was already used for a ticket of service "
                              f"{origin}; use a new key for a new ticket", "idempotency_conflict")
    return existing


def _replayed(ports: Ports, ticket: Ticket, svc: Service, language: str) -> IssueResult:
    """What a repeated request is told: the original ticket as it stands now (read outside the lock).

    Its print job says whether it was printed: a job that failed at issue is
    reported as not printed, however often the request is repeated.
    """
    reader = ports.uow()
    assert ticket.id is not None  # a stored ticket
    public_id = reader.public_id(ticket.id)
    if ticket.state == State.WAITING:
        ahead, estimate = reader.people_ahead(ticket), shown_wait(ports, reader, ticket)
    else:
        ahead, estimate = 0, est.WaitEstimate(0, 0, 0, False)
    job = reader.first_print_job(ticket.id)
    if job is None:
        state, reason, job_id = "none", None, None
    elif job.state == "failed":
        state, reason, job_id = "not_printed", job.error, job.id
    else:
        state, reason, job_id = "queued", None, job.id
    return IssueResult(ticket, public_id, ahead, estimate, state, reason, job_id, replayed=True,
                       service_name=svc.name(language))


def branch_context(ports: Ports, reader: UnitOfWork, with_waiting: bool = True) -> waits.BranchQueue:
    """The branch's queue now, as the wait estimate reads it (its waiting tickets left
    out unless ``with_waiting``)."""
    now = ports.clock.now()
    return reader.branch_queue(now, lambda s: ports.stats.recent(s, now, reader.visit_durations),
                               with_waiting)


def shown_wait(ports: Ports, reader: UnitOfWork, ticket: Ticket,
               context: waits.BranchQueue | None = None) -> est.WaitEstimate:
    """The wait ``ticket`` is shown now: the branch's queue played forward (:mod:`..domain.waits`).

    ``context`` is the queue read a moment before (outside the write lock); its waiting
    tickets and counters are read again from ``reader``, so a ticket called in between is
    neither waiting nor held."""
    if context is None:
        queue = branch_context(ports, reader)
    else:
        breaks = {c.code: c.break_in for c in context.counters if c.break_in is not None}
        queue = dataclasses.replace(context, waiting=reader.waiting(),
                                    counters=reader.counters_now(breaks))
    return waits.estimate(queue, ticket)


def ticket_payload(ticket: Ticket, svc: Service, public_id: str, ahead: int,
                   estimate: est.WaitEstimate, track_base: str, timezone: str,
                   branch_name: str | None) -> TicketPayload:
    """What the printed ticket shows, frozen at issue time."""
    return TicketPayload(
        number=ticket.number,
        service=ticket.service,
        service_name=svc.name(ticket.language),
        language=ticket.language,
        issued_at=ticket.issued_at.isoformat(),
        timezone=timezone,
        people_ahead=ahead,
        estimated_wait_s=None if estimate.no_counter else estimate.point_s,
        estimated_wait_range_s=((estimate.low_s, estimate.high_s)
                                if estimate.is_range and not estimate.no_counter else None),
        no_counter_open=estimate.no_counter,
        track_url=track_url(track_base, public_id) if track_base else None,
        branch_name=branch_name,
    )
