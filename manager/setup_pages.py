"""Branch setup pages under ``/manager/setup``: services and counters, each a list and a form.

Every change goes through the setup use cases (``servicepoint.setup``): validated
in the domain, audited in the same transaction, announced to the screens. A
refused form comes back with everything that was typed and a message per field in
the user's language. A service or counter with history is disabled, never deleted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from servicepoint import htmx, setup, setup_queries
from servicepoint.auth import login_required
from servicepoint.catalogs import N_
from servicepoint.domain.branch import InvalidSetup, ServiceSpec
from servicepoint.domain.hours import WEEKDAYS
from servicepoint.domain.model import DomainError
from servicepoint.i18n import LANGUAGES, _, current_language
from servicepoint.ports import NotFound
from servicepoint.setup_messages import field_errors
from servicepoint.web_db import get_db, get_setup_ports

from .views import bp

# The weekdays as the opening-hours table names them (the same words as the reports).
WEEKDAY_NAMES = dict(zip(WEEKDAYS, (N_("Monday"), N_("Tuesday"), N_("Wednesday"),
                                    N_("Thursday"), N_("Friday"), N_("Saturday"),
                                    N_("Sunday")), strict=True))


def _languages() -> list[str]:
    """The branch's kiosk languages: a service has a name and description in each."""
    return list(setup_queries.settings(get_db()).kiosk_languages)


def _minutes_to_s(text: str) -> object:
    """``"10"`` minutes → 600 s; anything else goes on as typed for the rules to refuse."""
    try:
        return round(float(text.strip().replace(",", ".")) * 60)
    except ValueError:
        return text


def _percent(text: str) -> object:
    try:
        return float(text.strip().replace(",", ".").rstrip("%")) / 100
    except ValueError:
        return text


# -- services ------------------------------------------------------------------

def _service_form(spec: ServiceSpec | None) -> dict[str, str]:
    """A service as the form's fields (strings), or the empty form for a new one."""
    if spec is None:
        return {"target_wait_min": "10", "sl_goal_pct": "80", "weight": "1",
                "default_service_min": "5", "enabled": "on"}
    out = {"code": spec.code, "icon": spec.icon, "category": spec.category,
           "target_wait_min": f"{spec.target_wait_s / 60:g}",
           "sl_goal_pct": f"{spec.service_level_goal * 100:g}", "weight": f"{spec.weight:g}",
           "default_service_min": f"{spec.default_service_s / 60:g}",
           "enabled": "on" if spec.enabled else ""}
    for lang, text in spec.names.items():
        out[f"name_{lang}"] = text
    for lang, text in spec.descriptions.items():
        out[f"desc_{lang}"] = text
    for day, hours in spec.hours.as_dict().items():
        out[f"open_{day}"], out[f"close_{day}"] = hours["open"], hours["close"]
        out[f"last_{day}"] = hours.get("last_ticket", "")
    return out


def _service_raw(form, languages: list[str], *, with_code: bool) -> dict:
    """What the setup rules read, from the posted form."""
    hours = {}
    for day in WEEKDAYS:
        opens, closes = form.get(f"open_{day}", "").strip(), form.get(f"close_{day}", "").strip()
        last = form.get(f"last_{day}", "").strip()
        if opens or closes or last:
            hours[day] = {"open": opens, "close": closes, **({"last_ticket": last} if last else {})}
    raw = {"names": {lang: form.get(f"name_{lang}", "") for lang in languages},
           "descriptions": {lang: form.get(f"desc_{lang}", "") for lang in languages},
           "icon": form.get("icon", "").strip(), "category": form.get("category", "").strip(),
           "hours": hours,
           "target_wait_s": _minutes_to_s(form.get("target_wait_min", "")),
           "service_level_goal": _percent(form.get("sl_goal_pct", "")),
           "weight": form.get("weight", "").strip(),
           "default_service_s": _minutes_to_s(form.get("default_service_min", "")),
           "enabled": form.get("enabled") == "on"}
    if with_code:
        raw["code"] = form.get("code", "").strip().upper()
    return raw


def _services_page(status: int = 200, **ctx):
    languages = _languages()
    ctx.setdefault("v", _service_form(None))
    ctx.setdefault("errors", {})
    return htmx.render("manager/setup_services.html", "manager/_setup_services.html", status,
                       services=setup_queries.services(get_db()), languages=languages,
                       language_names=LANGUAGES, weekdays=WEEKDAY_NAMES, lang=current_language(),
                       **ctx)


@dataclass(frozen=True)
class _Kind:
    """What the shared save flow needs to know of one kind of thing set up as a list and a
    form (services, counters)."""

    page: Callable[..., ResponseReturnValue]  # the list and the form, given status and context
    form: Callable[[Any], dict]  # a saved thing as the form's fields
    saved: Callable[[str], str]  # "… %(code)s is saved." in the user's language
    list_endpoint: str  # where a plain form goes after adding one
    item_endpoint: str  # where a plain form goes after changing one (takes ``code``)


def _one(items: Iterable[Any], code: str, missing: str) -> Any:
    """The item of ``items`` whose code is ``code``; aborts with 404 and ``missing`` if none."""
    current = next((item for item in items if item.code == code), None)
    if current is None:
        abort(404, description=missing)
    return current


def _done(message: str, endpoint: str, **values):
    """After a change: the fresh form (htmx) or a redirect with the message (a plain form)."""
    if htmx.is_htmx():
        return None
    flash(message, "ok")
    return redirect(url_for(endpoint, **values), 303)


def _save(kind: _Kind, change: Callable[[], Any], editing: str | None = None,
          conflict: Callable[[DomainError, dict], ResponseReturnValue] | None = None):
    """Run ``change`` (a setup use case on the posted form) and answer with the page.

    ``editing`` is the code of the thing changed, ``None`` when one is added. A refused
    form (``InvalidSetup``) comes back 422 with everything typed and a message per field;
    another ``DomainError`` goes to ``conflict`` with what was typed, and is raised again
    when there is none. Once saved, a plain form is redirected with the message and htmx
    gets the list and a fresh form (the empty one after adding, the saved thing after
    changing).
    """
    typed = dict(request.form) if editing is None else {**dict(request.form), "code": editing}
    # The add form is rendered without ``editing`` at all, as before this was shared.
    where = {} if editing is None else {"editing": editing}
    try:
        spec = change()
    except InvalidSetup as exc:
        return kind.page(422, v=typed, errors=field_errors(exc), **where)
    except DomainError as exc:
        if conflict is None:
            raise
        return conflict(exc, typed)
    if editing is None:
        message = kind.saved(spec.code)
        return _done(message, kind.list_endpoint) or kind.page(saved=message)
    message = kind.saved(editing)
    return (_done(message, kind.item_endpoint, code=editing)
            or kind.page(v=kind.form(spec), editing=editing, saved=message))


_SERVICES = _Kind(page=_services_page, form=_service_form,
                  saved=lambda code: _("Service %(code)s is saved.", code=code),
                  list_endpoint="manager.setup_services", item_endpoint="manager.setup_service")


@bp.get("/setup")
@login_required("manager")
def setup_index():
    """What a branch sets up, one link each."""
    return htmx.no_store(render_template("manager/setup_index.html"))


@bp.route("/setup/services", methods=["GET", "POST"])
@login_required("manager")
def setup_services():
    """Every service, and the form that adds one."""
    if request.method == "GET":
        return _services_page()
    raw = _service_raw(request.form, _languages(), with_code=True)
    return _save(_SERVICES, lambda: setup.create_service(get_setup_ports(), raw))


@bp.route("/setup/services/<code>", methods=["GET", "POST"])
@login_required("manager")
def setup_service(code: str):
    """One service's form: names, hours, targets, routing weight, enabled."""
    current = _one(setup_queries.services(get_db()), code,
                   _("There is no service %(code)s.", code=code[:3]))
    if request.method == "GET":
        return _services_page(v=_service_form(current), editing=code)
    raw = _service_raw(request.form, _languages(), with_code=False)
    return _save(_SERVICES, lambda: setup.update_service(get_setup_ports(), code, raw),
                 editing=code)


@bp.post("/setup/services/<code>/remove")
@login_required("manager")
def remove_service(code: str):
    """Delete a service never used, else disable it (its history stays)."""
    try:
        outcome = setup.remove_service(get_setup_ports(), code)
    except NotFound:
        abort(404, description=_("There is no service %(code)s.", code=code[:3]))
    message = (_("Service %(code)s is deleted.", code=code) if outcome == "deleted"
               else _("Service %(code)s is disabled; its history stays.", code=code))
    return _done(message, "manager.setup_services") or _services_page(saved=message)


# -- counters ------------------------------------------------------------------

def _counters_page(status: int = 200, **ctx):
    ctx.setdefault("v", {"enabled": "on"})
    ctx.setdefault("errors", {})
    conn = get_db()
    return htmx.render("manager/setup_counters.html", "manager/_setup_counters.html", status,
                       counters=setup_queries.counters(conn),
                       services=setup_queries.services(conn), lang=current_language(),
                       languages=_languages(), language_names=LANGUAGES, **ctx)


def _counter_form(spec) -> dict:
    out = {"code": spec.code, "name": spec.name, "location": spec.location,
           "services": " ".join(spec.services), "enabled": "on" if spec.enabled else ""}
    for lang, text in spec.spoken.items():
        out[f"spoken_{lang}"] = text
    return out


def _counter_raw(form, *, with_code: bool, spoken: Mapping[str, str] | None = None) -> dict:
    """What the setup rules read; ``spoken`` keeps the names of languages the form lacks."""
    raw = {"name": form.get("name", "").strip(), "location": form.get("location", "").strip(),
           "services": form.get("services", ""), "enabled": form.get("enabled") == "on",
           "spoken": {**(spoken or {}),
                      **{lang: form.get(f"spoken_{lang}", "") for lang in _languages()}}}
    if with_code:
        raw["code"] = form.get("code", "").strip()
    return raw


_COUNTERS = _Kind(page=_counters_page, form=_counter_form,
                  saved=lambda code: _("Counter %(code)s is saved.", code=code),
                  list_endpoint="manager.setup_counters", item_endpoint="manager.setup_counter")


@bp.route("/setup/counters", methods=["GET", "POST"])
@login_required("manager")
def setup_counters():
    """Every counter, and the form that adds one."""
    if request.method == "GET":
        return _counters_page()
    raw = _counter_raw(request.form, with_code=True)
    return _save(_COUNTERS, lambda: setup.create_counter(get_setup_ports(), raw))


@bp.route("/setup/counters/<code>", methods=["GET", "POST"])
@login_required("manager")
def setup_counter(code: str):
    """One counter's form: name, location, services in order, enabled."""
    current = _one(setup_queries.counters(get_db()), code,
                   _("There is no counter %(code)s.", code=code[:8]))
    if request.method == "GET":
        return _counters_page(v=_counter_form(current), editing=code)
    raw = _counter_raw(request.form, with_code=False, spoken=current.spoken)

    def still_serving(exc: DomainError, typed: dict):
        # A counter still holding a customer cannot be disabled.
        return _counters_page(409, v=typed, editing=code,
                              errors={"enabled": _("This counter still has a customer; finish "
                                                   "or send the ticket back first.")},
                              detail=str(exc))

    return _save(_COUNTERS, lambda: setup.update_counter(get_setup_ports(), code, raw),
                 editing=code, conflict=still_serving)
