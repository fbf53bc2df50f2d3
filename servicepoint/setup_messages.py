"""The words for a refused setup field, in the user's language.

:class:`~servicepoint.domain.branch.InvalidSetup` names each bad field with a
stable key (``setup.required``, ``pairing.bad_code``); pages show the text
below for it, translated in the catalogs, and fall back to the domain's English
text for a key not listed here.
"""
from __future__ import annotations

from .catalogs import N_
from .domain.branch import InvalidSetup
from .i18n import _, current_language

MESSAGES: dict[str, str] = {
    "setup.required": N_("This is required."),
    "setup.too_long": N_("This is too long."),
    "setup.control_chars": N_("Remove the special characters."),
    "setup.not_integer": N_("Type a whole number."),
    "setup.not_number": N_("Type a number."),
    "setup.out_of_range": N_("This number is out of range."),
    "setup.exists": N_("This code is already in use."),
    "setup.device_code": N_("Use 1 to 16 letters, digits, _ or -."),
    "setup.kind_fixed": N_("A device keeps its kind; use another code."),
    "setup.unknown_printer": N_("That printer does not exist."),
    "setup.kiosk_only": N_("Only a kiosk issues tickets."),
    "pairing.bad_code": N_("Type the 6 digits the screen shows."),
    "pairing.no_such_code": N_("No screen shows this code now (it may have expired): reload the "
                               "screen for a new one."),
    "pairing.unknown_device": N_("Choose a kiosk or display of this branch."),
}


def field_errors(exc: InvalidSetup, lang: str | None = None) -> dict[str, str]:
    """One message per form field (``hours.mon.open`` → ``hours``), in ``lang``."""
    lang = lang or current_language()
    out: dict[str, str] = {}
    for e in exc.errors:
        field = e.field.split("[")[0].split(".")[0] or "form"
        text = MESSAGES.get(e.key)
        out.setdefault(field, _(text, lang=lang) if text else e.message)
    return out
