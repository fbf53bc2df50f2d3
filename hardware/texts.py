"""The printed ticket's texts in the languages the kiosk offers.

Only the short fixed phrases printed on a ticket live here; service names,
greetings and footers arrive already translated from the server.  The
catalogue has the shape every face uses and is read with the one lookup,
`servicepoint.texts.lookup`, and the wait with the one wait formatter,
`servicepoint.texts.wait_text` (the ``wait.*`` entries are the paper's
wording of it).  Lookups fall back to English, so a new kiosk language prints
English labels until it is translated here rather than failing.
"""

from __future__ import annotations

from servicepoint.texts import Catalogue

FALLBACK_LANGUAGE = "en"

# Languages written right to left: their label lines are right-aligned.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})

CATALOGUE: Catalogue = {
    "your_number": {
        "en": "Your number",
        "es": "Su número",
        "fr": "Votre numéro",
        "de": "Ihre Nummer",
        "ar": "رقمك",
        "pt": "A sua senha",
    },
    "people_ahead": {
        "en": "People ahead: {n}",
        "es": "Personas delante: {n}",
        "fr": "Personnes avant vous : {n}",
        "de": "Personen vor Ihnen: {n}",
        "ar": "عدد المنتظرين قبلك: {n}",
        "pt": "Pessoas à sua frente: {n}",
    },
    "you_are_next": {
        "en": "You are next",
        "es": "Es su turno a continuación",
        "fr": "Vous êtes le prochain",
        "de": "Sie sind als Nächstes dran",
        "ar": "دورك التالي",
        "pt": "É o próximo",
    },
    "estimated_wait": {
        "en": "Estimated wait: {wait}",
        "es": "Espera estimada: {wait}",
        "fr": "Attente estimée : {wait}",
        "de": "Geschätzte Wartezeit: {wait}",
        "ar": "مدة الانتظار المتوقعة: {wait}",
        "pt": "Espera estimada: {wait}",
    },
    # The paper's wording of servicepoint.texts.wait_text: a point estimate is
    # printed plainly ("10 min"), a range with "about".
    "wait.none": {
        "en": "less than 1 min",
        "es": "menos de 1 min",
        "fr": "moins d'1 min",
        "de": "weniger als 1 Min.",
        "ar": "أقل من دقيقة",
        "pt": "menos de 1 min",
    },
    "wait.about": {
        "en": "{m} min",
        "es": "{m} min",
        "fr": "{m} min",
        "de": "{m} Min.",
        "ar": "{m} دقيقة",
        "pt": "{m} min",
    },
    "wait.range": {
        "en": "about {lo}–{hi} min",
        "es": "unos {lo}–{hi} min",
        "fr": "environ {lo}–{hi} min",
        "de": "etwa {lo}–{hi} Min.",
        "ar": "حوالي {lo}–{hi} دقيقة",
        "pt": "cerca de {lo}–{hi} min",
    },
    "wait.upto": {
        "en": "up to {hi} min",
        "es": "hasta {hi} min",
        "fr": "jusqu'à {hi} min",
        "de": "bis zu {hi} Min.",
        "ar": "حتى {hi} دقيقة",
        "pt": "até {hi} min",
    },
    "scan_to_follow": {
        "en": "Scan to follow your turn",
        "es": "Escanee para seguir su turno",
        "fr": "Scannez pour suivre votre tour",
        "de": "Scannen, um Ihre Nummer zu verfolgen",
        "ar": "امسح الرمز لمتابعة دورك",
        "pt": "Leia o código para seguir a sua vez",
    },
    "issued": {
        "en": "Issued {when}",
        "es": "Emitido {when}",
        "fr": "Émis {when}",
        "de": "Ausgestellt {when}",
        "ar": "صدر {when}",
        "pt": "Emitido {when}",
    },
    "test_title": {
        "en": "Printer test",
        "es": "Prueba de impresora",
        "fr": "Test de l'imprimante",
        "de": "Druckertest",
        "ar": "اختبار الطابعة",
        "pt": "Teste da impressora",
    },
    "test_ok": {
        "en": "If you can read this, the printer works.",
        "es": "Si puede leer esto, la impresora funciona.",
        "fr": "Si vous lisez ceci, l'imprimante fonctionne.",
        "de": "Wenn Sie das lesen können, funktioniert der Drucker.",
        "ar": "إذا كنت تستطيع قراءة هذا، فالطابعة تعمل.",
        "pt": "Se consegue ler isto, a impressora funciona.",
    },
}


def base_language(language: str | None) -> str:
    """Return the primary subtag of a language tag, lower-cased ("pt-BR" -> "pt").

    Empty or missing tags give the fallback language.
    """
    if not language:
        return FALLBACK_LANGUAGE
    return language.replace("_", "-").split("-", 1)[0].strip().lower() or FALLBACK_LANGUAGE


def is_rtl(language: str | None) -> bool:
    """Return True when `language` is written right to left."""
    return base_language(language) in RTL_LANGUAGES
