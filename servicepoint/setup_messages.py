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
    "setup.short_password": N_("A password needs at least 8 characters."),
    "setup.bad_username": N_("Use letters, digits and . _ @ - (starting with a letter or digit)."),
    "setup.bad_role": N_("Choose one of the roles."),
    "setup.last_admin": N_("This is the last active manager or admin."),
    "setup.code_fixed": N_("This cannot change; create a new one instead."),
    "setup.bad_timezone": N_("This is not a time zone; use a name such as Europe/Madrid."),
    "setup.bad_language": N_("That is not a language code."),
    "setup.bad_network": N_("Type an IP address or network such as 10.0.0.5 or 10.0.0.0/24."),
    "setup.bad_time": N_("Type a time of day as HH:MM."),
    "setup.duplicate": N_("An entry appears twice."),
    "setup.not_list": N_("Type a list."),
    "setup.not_text": N_("Type some text."),
    "setup.not_boolean": N_("Choose yes or no."),
    "setup.service_code": N_("Use 1 to 3 letters A-Z."),
    "setup.counter_code": N_("Use 1 to 8 letters or digits."),
    "setup.unknown_service": N_("That service does not exist."),
    "setup.unknown_counter": N_("That counter does not exist."),
    "setup.name_required": N_("A name in the branch's first language is required."),
    "setup.bad_icon": N_("Use lower-case letters, digits and -."),
    "setup.close_before_open": N_("Closing must come after opening."),
    "setup.last_ticket_outside": N_("The last ticket must be after opening and no later than "
                                    "closing."),
    "setup.never_open": N_("This opens on no day; disable the service instead."),
    "setup.bad_weekday": N_("That is not a weekday."),
    "setup.bad_day_hours": N_("Give an opening and a closing time."),
    "setup.bad_speech_numbers": N_("Choose how numbers are announced."),
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
