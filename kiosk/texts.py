"""The kiosk's texts (gettext ids, translated in the ``.po`` catalogs), and how waits are worded.

``t(key, lang, **values)`` (the shared lookup) reads an untranslated text as its
English id, so a missing translation never breaks the customer's screen.
"""
from __future__ import annotations

from servicepoint.catalogs import N_, NC_, NP_
from servicepoint.texts import Catalogue, Texts

CATALOGUE: Catalogue = {
    "title": N_("Take a ticket"),
    "welcome": N_("Welcome"),
    "choose": N_("Touch the service you need"),
    "language": N_("Language"),
    "services": N_("Services"),
    "priority.label": N_("I need priority assistance"),
    "priority.hint": N_("For older people, people with a disability and pregnant women"),
    "waiting.0": N_("Nobody waiting"),
    "waiting": NP_("1 person waiting", "%(n)d people waiting"),
    "wait.none": N_("No wait"),
    "wait.about": NP_("about 1 min", "about %(n)d min"),
    "wait.upto": N_("up to %(hi)s min"),
    "wait.label": N_("Estimated wait"),
    "no_services": N_("No services are available right now. Please ask a member of staff."),
    "ticket.your_number": N_("Your number"),
    "ticket.ahead.0": N_("You are next"),
    "ticket.ahead": NP_("1 person ahead of you", "%(n)d people ahead of you"),
    "ticket.take": N_("Please take your printed ticket."),
    "ticket.note": N_("Please note your number."),
    "ticket.not_printed": N_("Your ticket could not be printed — please note your number"),
    "ticket.watch": N_("Watch the screen: we will call your number."),
    "ticket.priority": N_("Priority assistance"),
    "ticket.done": N_("Done"),
    "ticket.returning": NP_(
        "This screen goes back to the start in 1 second.",
        "This screen goes back to the start in %(n)d seconds.",
    ),
    "printer.problem": N_(
        "The ticket printer is not working right now. Your number will be "
        "shown on this screen — please note it.",
    ),
    "limit.title": N_("Please wait a moment"),
    "limit.body": NP_(
        "This kiosk has issued many tickets in the last minute. Please try "
        "again in 1 second or ask a member of staff.",
        "This kiosk has issued many tickets in the last minute. Please try "
        "again in %(n)d seconds or ask a member of staff.",
    ),
    "error.title": N_("Sorry"),
    "error.service": N_("That service is not available at this kiosk right now."),
    "error.retry": N_("Please choose again or ask a member of staff."),
    "back": N_("Back to the start"),
    # -- the overlay while the branch server does not answer
    "offline.title": N_("Temporarily out of service"),
    "offline.body": N_("One moment, please. This screen comes back by itself."),
    "unknown.title": N_("This kiosk is not set up"),
    "unknown.body": N_(
        "There is no kiosk called %(code)s. Please ask a member of staff; a "
        "technician can pair this screen.",
    ),
    # -- the reachable start screen, the ticket screen and the accessible mode
    "categories.back": N_("All services"),
    "closed": N_("No counter open"),
    "ticket.scan": N_("Scan to follow your turn on your phone"),
    "ticket.note_or_scan": N_("Please note your number or scan the code."),
    "a11y.on": N_("Accessible mode: large text and speech"),
    "a11y.off": N_("Leave accessible mode"),
    "a11y.repeat": N_("Repeat"),
    "a11y.stop": N_("Stop speaking"),
    "a11y.volume": N_("Volume"),
    "language.self": NC_("the language's name in itself", "English"),
    "say.menu": N_("Accessible mode. Use the arrow keys to move between services and press Enter "
                   "to take a ticket."),
    "say.service": N_("%(name)s. %(waiting)s. Estimated wait: %(wait)s."),
    "say.ticket": N_("Your number is %(number)s."),
    "say.ticket.rest": N_("%(service)s. %(ahead)s. Estimated wait: %(wait)s."),
}


TEXTS = Texts(CATALOGUE)
t = TEXTS.t
counted = TEXTS.counted
# A wait as customers read it: "No wait", "about 5 min" or a range "10–15 min".
wait_text = TEXTS.wait
