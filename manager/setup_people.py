"""Setup pages for staff accounts and the branch's settings (``/manager/setup/staff``,
``/manager/setup/branch``).

Through the setup use cases like every change: validated, audited, announced.
Deactivating someone, resetting a password or changing a role ends that
person's sessions at once; deactivating also pauses the counter they hold.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from servicepoint import htmx, setup, setup_queries
from servicepoint.auth import current_principal, login_required
from servicepoint.catalogs import N_
from servicepoint.domain.branch import ROLES, SPEECH_NUMBER_STYLES, InvalidSetup
from servicepoint.domain.model import DomainError
from servicepoint.i18n import LANGUAGES, _
from servicepoint.ports import NotFound
from servicepoint.setup_messages import field_errors
from servicepoint.web_db import get_db, get_setup_ports

from .views import bp

ROLE_NAMES = {"staff": N_("Counter staff"), "manager": N_("Manager"),
              "technician": N_("Technician"), "admin": N_("Administrator")}


def _staff_page(status: int = 200, **ctx):
    ctx.setdefault("v", {"role": "staff"})
    ctx.setdefault("errors", {})
    me = (current_principal() or {}).get("username")
    return htmx.render("manager/setup_staff.html", "manager/_setup_staff.html", status,
                       staff=setup_queries.staff(get_db()), roles=ROLES, me=me,
                       role_names=ROLE_NAMES, **ctx)


def _after(message: str, endpoint: str, render, **ctx):
    """A plain form is redirected with the message; htmx gets the part again with it."""
    if htmx.is_htmx():
        return render(saved=message, **ctx)
    flash(message, "ok")
    return redirect(url_for(endpoint), 303)


@bp.route("/setup/staff", methods=["GET", "POST"])
@login_required("manager")
def setup_staff():
    """Every account, and the form that adds one."""
    if request.method == "GET":
        return _staff_page()
    form = request.form
    raw = {"username": form.get("username", "").strip(),
           "display_name": form.get("display_name", "").strip(),
           "role": form.get("role", ""), "password": form.get("password", "")}
    try:
        spec = setup.add_staff(get_setup_ports(), raw)
    except InvalidSetup as exc:
        typed = {k: v for k, v in raw.items() if k != "password"}  # never echo a password
        return _staff_page(422, v=typed, errors=field_errors(exc))
    return _after(_("%(name)s can sign in now.", name=spec.username), "manager.setup_staff",
                  _staff_page)


@bp.post("/setup/staff/<username>")
@login_required("manager")
def change_staff(username: str):
    """Change one account: its name and role, or deactivate or reactivate it."""
    changes: dict = {}
    if "role" in request.form:
        changes["role"] = request.form["role"]
    if "display_name" in request.form:
        changes["display_name"] = request.form["display_name"].strip()
    if "active" in request.form:
        changes["active"] = request.form["active"] == "yes"
    try:
        spec = setup.update_staff(get_setup_ports(), username, changes)
    except NotFound:
        return _staff_page(404, problem=_("There is no account %(name)s.", name=username[:64]))
    except InvalidSetup as exc:
        return _staff_page(422, problem=" ".join(field_errors(exc).values()))
    except DomainError as exc:
        return _staff_page(409, problem=str(exc))
    message = (_("%(name)s is saved.", name=spec.username) if spec.active
               else _("%(name)s is deactivated and signed out everywhere.", name=spec.username))
    return _after(message, "manager.setup_staff", _staff_page)


@bp.post("/setup/staff/<username>/password")
@login_required("manager")
def reset_staff_password(username: str):
    """Give an account a new password; its sessions end at once."""
    try:
        setup.reset_password(get_setup_ports(), username, request.form.get("password", ""))
    except NotFound:
        return _staff_page(404, problem=_("There is no account %(name)s.", name=username[:64]))
    except InvalidSetup:
        return _staff_page(422, problem=_("A password needs at least 8 characters."),
                           password_for=username)
    return _after(_("%(name)s has a new password and is signed out everywhere.", name=username),
                  "manager.setup_staff", _staff_page)


# -- branch settings -----------------------------------------------------------

def _settings_form() -> dict:
    s = setup_queries.settings(get_db()).as_dict()
    return {**s, "trusted_proxies": "\n".join(s["trusted_proxies"]),
            "closing_time": s["closing_time"] or "",
            "priority_question": "on" if s["priority_question"] else ""}


def _branch_page(status: int = 200, **ctx):
    ctx.setdefault("v", _settings_form())
    ctx.setdefault("errors", {})
    return htmx.render("manager/setup_branch.html", "manager/_setup_branch.html", status,
                       languages=LANGUAGES, styles=SPEECH_NUMBER_STYLES, **ctx)


@bp.route("/setup/branch", methods=["GET", "POST"])
@login_required("manager")
def setup_branch():
    """The branch's name, time zone, kiosk languages, closing time and other settings."""
    if request.method == "GET":
        return _branch_page()
    form = request.form
    languages = [code for code in form.getlist("kiosk_languages") if code]
    raw = {"name": form.get("name", "").strip(), "timezone": form.get("timezone", "").strip(),
           "kiosk_languages": languages,
           "auto_no_show_recalls": form.get("auto_no_show_recalls", "").strip(),
           "priority_question": form.get("priority_question") == "on",
           "closing_time": form.get("closing_time", "").strip(),
           "retention_days": form.get("retention_days", "").strip(),
           "trusted_proxies": form.get("trusted_proxies", ""),
           "speech_numbers": form.get("speech_numbers", "")}
    try:
        setup.update_settings(get_setup_ports(), raw)
    except InvalidSetup as exc:
        typed = {**raw, "priority_question": "on" if raw["priority_question"] else ""}
        return _branch_page(422, v=typed, errors=field_errors(exc))
    return _after(_("The branch settings are saved."), "manager.setup_branch", _branch_page)
