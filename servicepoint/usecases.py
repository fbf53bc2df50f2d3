"""Use cases: every queue action, committed atomically, then announced.

Each function receives its ports — a :class:`~servicepoint.uow.UnitOfWork`, a
clock (``.now()`` → aware UTC datetime) and ``notify(topic)`` for the live
broadcaster — so the same code runs under the web server, the CLI, the
simulator and the tests. The domain decides; these functions load, apply,
save the ticket and its event in one transaction, and only then notify.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import threading
from typing import Callable

from .db import get_setting
from .domain import estimate as est
from .domain import kpi, lifecycle, routing
from .domain.model import Action, DomainError, State, Ticket
from .domain.printing import PrinterStatus, TicketPayload
from .timeutil import branch_day, from_db
from .uow import NotFound, UnitOfWork

Notify = Callable[[str], None]

# Every status a printer row can have ("unknown" until first checked), and those in
# which a new job is worth sending at all. The one vocabulary for the whole server.
PRINTER_STATES = tuple(status.value for status in PrinterStatus)
PRINTABLE_STATES = frozenset(status.value for status in PrinterStatus if status.printable)


def _noop(topic: str) -> None:
    return None


_SERVICE_ENDS_SQL = ",".join(f"'{a.value}'" for a in sorted(kpi.SERVICE_ENDS))


class ServiceTimeCache:
    """Recent service-time statistics per service, recomputed at most every ``ttl_s``.

    The statistics come from ``ticket_events`` (start → finish/transfer/park/requeue);
    caching keeps an issue burst from re-reading them for every ticket.
    """

    SAMPLE = 60

    def __init__(self, ttl_s: float = 5.0):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, est.ServiceTimeStats | None]] = {}

    def get(self, conn, service: str, now: dt.datetime) -> est.ServiceTimeStats | None:
        stamp = now.timestamp()
        with self._lock:
            hit = self._cache.get(service)
            if hit and 0 <= stamp - hit[0] < self.ttl_s:
                return hit[1]
        rows = conn.execute(
            "SELECT s.at AS started, (SELECT e.at FROM ticket_events e WHERE e.ticket_id = s.ticket_id"
            f"  AND e.id > s.id AND e.action IN ({_SERVICE_ENDS_SQL})"
            "  ORDER BY e.id LIMIT 1) AS ended"
            " FROM ticket_events s WHERE s.service_id = ? AND s.action = 'start'"
            " ORDER BY s.id DESC LIMIT ?", (service, self.SAMPLE)).fetchall()
        durations = [(from_db(r["ended"]) - from_db(r["started"])).total_seconds()
                     for r in reversed(rows) if r["ended"]]
        stats = est.service_time_stats(durations)
        with self._lock:
            self._cache[service] = (stamp, stats)
        return stats


@dataclasses.dataclass
class Ports:
    """What a use case needs from the outside world."""

    conn: object
    clock: object
    notify: Notify = _noop
    stats: ServiceTimeCache = dataclasses.field(default_factory=ServiceTimeCache)
    timezone: str = "UTC"

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.conn)


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


# Open counters serving the service ``s.code`` of the enclosing query.
OPEN_COUNTERS_SQL = ("(SELECT count(*) FROM counter_services cs JOIN counters c ON c.code ="
                     " cs.counter_code WHERE cs.service_code = s.code AND c.state = 'open')")


def open_counters(conn, service: str) -> int:
    """How many open counters serve ``service`` now."""
    return conn.execute(f"SELECT {OPEN_COUNTERS_SQL} FROM services s WHERE s.code = ?",
                        (service,)).fetchone()[0]


def wait_estimate(ports: Ports, service_row, people_ahead: int,
                  open_now: int | None = None) -> est.WaitEstimate:
    """The wait shown to someone with ``people_ahead`` in ``service_row``'s queue.

    ``open_now`` saves a query when the caller already counted the open counters.
    """
    stats = ports.stats.get(ports.conn, service_row["code"], ports.clock.now())
    if open_now is None:
        open_now = open_counters(ports.conn, service_row["code"])
    return est.estimate_wait(people_ahead, stats, open_now, service_row["default_service_s"])


def track_url(base: str, public_id: str) -> str:
    """The customer's tracking page for a ticket (what its QR code carries)."""
    return f"{base.rstrip('/')}/t/{public_id}"


def waiting_view(ports: Ports, ticket: Ticket) -> tuple[int | None, est.WaitEstimate | None]:
    """People ahead of a waiting ticket and the wait it is shown; (None, None) otherwise."""
    if ticket.state != State.WAITING:
        return None, None
    uow = UnitOfWork(ports.conn)
    ahead = uow.people_ahead(ticket)
    return ahead, wait_estimate(ports, uow.service(ticket.service), ahead)


def service_name(service_row, language: str) -> str:
    """The service's name in ``language``, falling back to English, then the code."""
    names = json.loads(service_row["names"])
    return names.get(language) or names.get("en") or service_row["code"]


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

    A repeated ``idempotency_key`` returns the ticket it created the first time.
    Raises :class:`NotFound` for an unknown service or device and
    :class:`DomainError` for an inactive service or bad priority.
    """
    now = ports.clock.now()
    conn = ports.conn
    # Reads first, outside the write lock: the service (with its open counters), the
    # kiosk and its printer. Only what allocates and writes runs under the lock.
    svc = conn.execute(
        f"SELECT s.code, s.names, s.active, s.default_service_s, {OPEN_COUNTERS_SQL} AS open_counters"
        " FROM services s WHERE s.code = ?", (service,)).fetchone()
    if svc is None:
        raise NotFound("service", service)
    if not svc["active"]:
        raise DomainError(f"Service {service} is not available now", "service_inactive")
    printer = None
    if device:
        kiosk = conn.execute(
            "SELECT d.code, p.id, p.enabled, p.status FROM devices d LEFT JOIN printers p"
            " ON p.id = d.printer_id WHERE d.code = ? AND d.kind = 'kiosk'", (device,)).fetchone()
        if kiosk is None:
            raise NotFound("kiosk", device)
        printer = kiosk if kiosk["id"] is not None and kiosk["enabled"] else None
    stats = ports.stats.get(conn, service, now)
    day = branch_day(now, ports.timezone)
    branch_name = get_setting(conn, "branch_name", "ServicePoint") if printer is not None else None
    existing = None
    with ports.uow() as uow:
        if idempotency_key:
            existing = _idempotent_match(uow, idempotency_key, service)
        if existing is None:
            seq = uow.next_seq(service, day)
            ticket, event = lifecycle.issue(service=service, prefix=service, day=day, seq=seq,
                                            at=now, priority=priority, language=language,
                                            staff=staff)
            public_id = secrets.token_urlsafe(9)
            ticket = uow.add_ticket(ticket, public_id=public_id, device=device,
                                    idempotency_key=idempotency_key)
            uow.add_event(dataclasses.replace(event, ticket_id=ticket.id))
            ahead = uow.people_ahead(ticket, just_issued=True)
            estimate = est.estimate_wait(ahead, stats, svc["open_counters"], svc["default_service_s"])
            print_state, reason, job_id = "none", None, None
            if printer is not None:
                payload = ticket_payload(ticket, svc, public_id, ahead, estimate, track_base,
                                         ports.timezone, branch_name)
                if printer["status"] in PRINTABLE_STATES:
                    print_state = "queued"
                    job_id = uow.add_print_job(ticket_id=ticket.id, printer_id=printer["id"],
                                               payload=payload, at=now)
                else:
                    # Printing it minutes later, when nobody stands at the kiosk, helps no
                    # one: record the job as failed so it can be reprinted on request.
                    print_state, reason = "not_printed", printer["status"]
                    job_id = uow.add_print_job(ticket_id=ticket.id, printer_id=printer["id"],
                                               payload=payload, at=now, state="failed",
                                               error=f"printer {printer['status']} at issue")
    if existing is not None:
        return _replayed(ports, existing, svc, stats)
    ports.notify("queue")
    if job_id is not None:
        ports.notify("print")
    return IssueResult(ticket, public_id, ahead, estimate, print_state, reason, job_id)


def _idempotent_match(uow: UnitOfWork, key: str, service: str) -> Ticket | None:
    """The ticket an earlier request with ``key`` created; refuses a key reused for another service."""
    existing = uow.ticket_by_idempotency_key(key)
    if existing is not None:
        origin = uow.conn.execute("SELECT origin_service_id FROM tickets WHERE id = ?",
                                  (existing.id,)).fetchone()[0]
        if origin != service:
            raise DomainError("This Idempotency-Key was already used for a ticket of service "
                              f"{origin}; use a new key for a new ticket", "idempotency_conflict")
    return existing


def _replayed(ports: Ports, ticket: Ticket, svc, stats) -> IssueResult:
    """What a repeated request is told: the original ticket as it stands now (read outside the lock)."""
    uow = UnitOfWork(ports.conn)
    public_id = uow.public_id(ticket.id)
    ahead = uow.people_ahead(ticket) if ticket.state == State.WAITING else 0
    if ticket.service != svc["code"]:  # transferred since: estimate for its current queue
        estimate = wait_estimate(ports, uow.service(ticket.service), ahead)
    else:
        estimate = est.estimate_wait(ahead, stats, svc["open_counters"], svc["default_service_s"])
    job = uow.conn.execute("SELECT id, state, error FROM print_jobs WHERE ticket_id = ?"
                           " ORDER BY id LIMIT 1", (ticket.id,)).fetchone()
    if job is None:
        state, reason, job_id = "none", None, None
    elif job["state"] == "failed":
        state, reason, job_id = "not_printed", job["error"], job["id"]
    else:
        state, reason, job_id = "queued", None, job["id"]
    return IssueResult(ticket, public_id, ahead, estimate, state, reason, job_id, replayed=True)


def ticket_payload(ticket: Ticket, svc, public_id: str, ahead: int, estimate: est.WaitEstimate,
                   track_base: str, timezone: str, branch_name: str) -> dict:
    """What the printed ticket shows, frozen at issue time (the print job's JSON payload)."""
    return TicketPayload(
        number=ticket.number, service=ticket.service, service_name=service_name(svc, ticket.language),
        language=ticket.language, issued_at=ticket.issued_at.isoformat(), timezone=timezone,
        people_ahead=ahead, estimated_wait_s=estimate.point_s,
        estimated_wait_range_s=(estimate.low_s, estimate.high_s) if estimate.is_range else None,
        track_url=track_url(track_base, public_id) if track_base else None,
        branch_name=branch_name,
    ).to_dict()


def call_next(ports: Ports, *, counter: str, staff: str | None = None,
              finish_current: bool = False) -> Ticket | None:
    """Call the next ticket for ``counter``; None when nobody is waiting for it.

    A counter that still holds a called or serving ticket is refused
    (``counter_busy``) unless ``finish_current`` is set, in which case a serving
    ticket is finished as resolved first. A closed counter or one on a break is
    opened. Two counters calling at once never get the same ticket: the whole
    pick runs under the write lock and the update re-checks ``state='waiting'``.
    """
    now = ports.clock.now()
    with ports.uow() as uow:
        row = uow.counter(counter)
        held = uow.held_by(counter)
        for current in held:
            if finish_current and current.state == State.SERVING:
                _transition(uow, current, Action.FINISH, now, counter=counter, staff=staff)
            else:
                raise DomainError(
                    f"Counter {counter} still has {current.number} ({current.state.value}); "
                    "finish, requeue or mark it no-show first", "counter_busy")
        if row["state"] != "open":
            new_state, move = COUNTER_MOVES["resume" if row["state"] == "break" else "open"]
            uow.set_counter_state(counter, new_state, now, staff or row["staff_username"], move)
        services = uow.counter_services(counter)
        chosen = routing.pick_next(uow.head_of_queues(services, counter), counter, services,
                                   now, uow.weights())
        if chosen is None:
            result = None
        else:
            result = _transition(uow, chosen, Action.CALL, now, counter=counter, staff=staff)
    ports.notify("queue")
    return result


def call_ticket(ports: Ports, *, ticket_id: int, counter: str, staff: str | None = None) -> Ticket:
    """Call a specific waiting or parked ticket to ``counter`` (e.g. a parked one coming back)."""
    now = ports.clock.now()
    with ports.uow() as uow:
        uow.counter(counter)
        ticket = uow.ticket(ticket_id)
        if ticket.state == State.WAITING:
            if not routing.callable_by(ticket, counter, uow.counter_services(counter)):
                raise DomainError(f"Counter {counter} does not serve {ticket.number}",
                                  "not_served_here")
        for current in uow.held_by(counter):
            if current.id != ticket.id:
                raise DomainError(f"Counter {counter} still has {current.number}", "counter_busy")
        result = _transition(uow, ticket, Action.CALL, now, counter=counter, staff=staff)
    ports.notify("queue")
    return result


def act(ports: Ports, *, ticket_id: int, action: str, counter: str | None = None,
        staff: str | None = None, **params) -> Ticket:
    """Apply ``action`` (recall/start/finish/no_show/requeue/transfer/park/cancel/rate).

    Raises :class:`NotFound` for an unknown ticket, service or counter and
    :class:`DomainError` subclasses for anything the lifecycle refuses.
    """
    try:
        action = Action(action)
    except ValueError:
        raise DomainError(f"Unknown action {action!r}", "bad_action") from None
    if action in (Action.ISSUE, Action.CALL):
        raise DomainError(f"Use the {action.value} endpoint for that", "bad_action")
    now = ports.clock.now()
    with ports.uow() as uow:
        ticket = uow.ticket(ticket_id)
        if action == Action.RATE:
            params["already_rated"] = uow.conn.execute(
                "SELECT 1 FROM ticket_events WHERE ticket_id = ? AND action = 'rate'",
                (ticket_id,)).fetchone() is not None
        if counter is not None:
            uow.counter(counter)
        if action == Action.TRANSFER:
            if params.get("service") is not None:
                svc = uow.service(params["service"])
                if not svc["active"]:
                    raise DomainError(f"Service {svc['code']} is not available now",
                                      "service_inactive")
            if params.get("target_counter") is not None:
                uow.counter(params["target_counter"])
        if counter is None and ticket.counter is not None and action not in (Action.CANCEL,
                                                                                Action.RATE):
            counter = ticket.counter  # staff acting on the ticket's own counter
        result = _transition(uow, ticket, action, now, counter=counter, staff=staff, **params)
    ports.notify("queue")
    return result


def _transition(uow: UnitOfWork, ticket: Ticket, action: Action, now: dt.datetime,
                **kw) -> Ticket:
    new, event = lifecycle.apply(ticket, action, now, **kw)
    uow.save_ticket(new, ticket.state, now)
    uow.add_event(event)
    return new


COUNTER_MOVES = {"open": ("open", "open"), "close": ("closed", "close"),
                 "break": ("break", "break"), "resume": ("open", "resume")}


def set_counter(ports: Ports, *, counter: str, move: str, staff: str | None = None) -> str:
    """Open, close, pause (``break``) or resume a counter; returns its new state.

    Closing or pausing a counter that still holds a called or serving ticket is
    refused, so no customer is left standing at a dark counter.
    """
    if move not in COUNTER_MOVES:
        raise DomainError(f"Unknown counter action {move!r}; use open, close, break or resume",
                          "bad_action")
    now = ports.clock.now()
    new_state, action = COUNTER_MOVES[move]
    with ports.uow() as uow:
        row = uow.counter(counter)
        if move in ("close", "break"):
            held = uow.held_by(counter)
            if held:
                raise DomainError(f"Counter {counter} still has {held[0].number}; finish it first",
                                  "counter_busy")
        if row["state"] != new_state:
            uow.set_counter_state(counter, new_state, now, staff, action)
    ports.notify("counters")
    return new_state


def expire_day(ports: Ports, *, before_day: str | None = None) -> int:
    """Expire every waiting, called or parked ticket of days before ``before_day``.

    ``before_day`` defaults to today, so tickets of earlier days end as expired.
    Passing tomorrow closes today too (end-of-day). Returns how many expired.
    """
    now = ports.clock.now()
    before_day = before_day or branch_day(now, ports.timezone)
    count = 0
    with ports.uow() as uow:
        for ticket in uow.open_tickets_before(before_day):
            _transition(uow, ticket, Action.EXPIRE, now)
            count += 1
    if count:
        ports.notify("queue")
    return count


def queue_overview(ports: Ports, language: str = "en") -> list[dict]:
    """Per active service: waiting count, the wait a new arrival would be shown, open counters."""
    conn = ports.conn
    now = ports.clock.now()
    rows = conn.execute(
        "SELECT s.*, coalesce(q.waiting, 0) + (SELECT count(*) FROM tickets t WHERE"
        " t.state='waiting' AND t.service_id=s.code AND t.target_counter_id IS NOT NULL) AS waiting,"
        " (SELECT min(t.queued_at) FROM tickets t WHERE t.state='waiting'"
        f" AND t.service_id=s.code) AS oldest, {OPEN_COUNTERS_SQL} AS open_counters"
        " FROM services s LEFT JOIN queue_counts q"
        " ON q.service_id = s.code WHERE s.active ORDER BY s.sort, s.code").fetchall()
    out = []
    for r in rows:
        estimate = wait_estimate(ports, r, r["waiting"], r["open_counters"])
        oldest = from_db(r["oldest"])
        out.append({
            "service": r["code"],
            "name": service_name(r, language),
            "waiting": r["waiting"],
            "open_counters": r["open_counters"],
            "longest_wait_s": int((now - oldest).total_seconds()) if oldest else 0,
            "target_wait_s": r["target_wait_s"],
            **estimate.as_dict(),
        })
    return out


__all__ = ["Ports", "IssueResult", "issue_ticket", "call_next", "call_ticket", "act",
           "set_counter", "expire_day", "queue_overview", "ServiceTimeCache", "NotFound",
           "DomainError"]

