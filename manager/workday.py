"""Setup for a working day: each display's board (``/manager/displays``) and the reasons a
clerk may give for a break (``/manager/break-reasons``).

Both go through the setup use cases (``servicepoint.setup``: validated in the
domain, audited in the same transaction, announced to the screens); a refused
form comes back with what was typed and a message per field.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from servicepoint import htmx, queries, setup, setup_queries
from servicepoint.auth import login_required
from servicepoint.domain.branch import ORIENTATIONS, DeviceSpec, InvalidSetup
from servicepoint.i18n import LANGUAGES, current_language
from servicepoint.web_db import get_db, get_setup_ports

from . import texts
from .views import bp


def _displays() -> list[DeviceSpec]:
    return [d for d in setup_queries.devices(get_db()) if d.kind == "display"]


def _display(code: str) -> DeviceSpec:
    found = next((d for d in _displays() if d.code == code), None)
    if found is None:
        abort(404, description=f"There is no display {code}.")
    return found


def _errors(exc: InvalidSetup) -> dict[str, str]:
    """One message per form field (``services[2]`` → ``services``), in the user's language."""
    lang = current_language()
    out: dict[str, str] = {}
    for e in exc.errors:
        field = e.field.split("[")[0] or "form"
        key = e.key.replace("setup.", "err.")
        out.setdefault(field, texts.t(key, lang) if key in texts.TEXTS else e.message)
    return out


def _chosen(name: str, every: list[str]) -> list[str] | None:
    """Ticked values in the order offered; None (= all, new ones too) when all are ticked."""
    ticked = set(request.form.getlist(name))
    chosen = [v for v in every if v in ticked]
    return None if len(chosen) == len(every) else chosen


def _form_device(current: DeviceSpec) -> dict:
    """The display as the form describes it (the setup rules check it)."""
    conn = get_db()
    form = request.form
    board = (form.get("language") or current.language).strip()
    also = [code for code in form.getlist("languages") if code != board]
    languages = [board, *also]
    return {**current.as_dict(),
            "name": (form.get("name") or "").strip(),
            "services": _chosen("services", [s.code for s in queries.services(conn)]),
            "counters": _chosen("counters", [c.code for c in queries.counters(conn)]),
            "language": board,
            "languages": languages if len(languages) > 1 or current.languages else None,
            "orientation": form.get("orientation") or None,
            "message": (form.get("message") or "").strip() or None}


def _form_context(spec: DeviceSpec | dict, errors: dict | None = None) -> dict:
    conn = get_db()
    value = spec.as_dict() if isinstance(spec, DeviceSpec) else spec
    return {"d": value, "errors": errors or {}, "services": queries.services(conn),
            "counters": queries.counters(conn), "languages": LANGUAGES,
            "orientations": ORIENTATIONS, "lang": current_language(),
            "displays": _displays()}


@bp.get("/displays")
@login_required("manager")
def displays():
    """Every display with what its board shows; each links to its form."""
    return htmx.no_store(render_template("manager/displays.html", displays=_displays(),
                                         services={s.code: s for s in queries.services(get_db())}))


@bp.route("/displays/<code>", methods=["GET", "POST"])
@login_required("manager")
def display_form(code: str):
    """One display's board: services and counters it covers, languages, orientation, message."""
    current = _display(code)
    if request.method == "GET":
        return htmx.render("manager/display_form.html", "manager/_display_form.html",
                           **_form_context(current))
    raw = _form_device(current)
    try:
        setup.save_device(get_setup_ports(), raw)
    except InvalidSetup as exc:
        return htmx.render("manager/display_form.html", "manager/_display_form.html", 422,
                           **_form_context(raw, _errors(exc)))
    saved = texts.t("displays.saved", current_language(), code=code)
    if htmx.is_htmx():  # the form again, with what was saved and the outcome
        return htmx.no_store(render_template("manager/_display_form.html", saved=saved,
                                             **_form_context(_display(code))))
    flash(saved, "ok")
    return redirect(url_for("manager.display_form", code=code), 303)


@bp.route("/break-reasons", methods=["GET", "POST"])
@login_required("manager")
def break_reasons():
    """The reasons a clerk chooses from when taking a break, one per line."""
    reasons = list(setup_queries.settings(get_db()).break_reasons)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        typed = request.form.get("reasons", "")
        try:
            setup.update_settings(get_setup_ports(), {"break_reasons": typed})
        except InvalidSetup as exc:
            errors, status = _errors(exc), 422
            reasons = typed.splitlines()
        else:
            saved = texts.t("breaks.saved", current_language())
            if not htmx.is_htmx():
                flash(saved, "ok")
                return redirect(url_for("manager.break_reasons"), 303)
            return htmx.no_store(render_template(
                "manager/_break_reasons.html", saved=saved, errors={},
                reasons=setup_queries.settings(get_db()).break_reasons))
    return htmx.render("manager/break_reasons.html", "manager/_break_reasons.html", status,
                       reasons=reasons, errors=errors)
