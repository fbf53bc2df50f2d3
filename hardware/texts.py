"""The printed ticket's texts (gettext ids, translated in the ``.po`` catalogs).

Only the short fixed phrases printed on a ticket live here; service names,
greetings and footers arrive already translated from the server.  The table
has the shape every face uses and is read with the one lookup,
`servicepoint.texts.lookup`, and the wait with the one wait formatter,
`servicepoint.texts.wait_text` (the ``wait.*`` entries are the paper's
wording of it).  An untranslated text prints as its English id rather than
failing the ticket.
"""

from __future__ import annotations

from servicepoint.catalogs import N_, NP_, RTL_LANGUAGES, base_language, is_rtl
from servicepoint.catalogs import SOURCE_LANGUAGE as FALLBACK_LANGUAGE
from servicepoint.texts import Catalogue

__all__ = ["CATALOGUE", "FALLBACK_LANGUAGE", "RTL_LANGUAGES", "base_language", "is_rtl"]

CATALOGUE: Catalogue = {
    "your_number": N_("Your number"),
    "people_ahead": N_("People ahead: %(n)s"),
    "you_are_next": N_("You are next"),
    "estimated_wait": N_("Estimated wait: %(wait)s"),
    "no_counter_open": N_("No counter is open for this service yet"),
    "wait.none": N_("less than 1 min"),
    "wait.about": NP_("1 min", "%(n)d min"),
    "wait.range": N_("about %(lo)s–%(hi)s min"),
    "wait.upto": N_("up to %(hi)s min"),
    "scan_to_follow": N_("Scan to follow your turn"),
    "issued": N_("Issued %(when)s"),
    "test_title": N_("Printer test"),
    "test_ok": N_("If you can read this, the printer works."),
}

