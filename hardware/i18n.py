"""Printed-ticket labels in the languages the kiosk offers.

Only the short fixed phrases printed on a ticket live here; service names,
greetings and footers arrive already translated from the server.  Lookups fall
back to English, so a new kiosk language prints English labels until it is
translated here rather than failing.
"""

from __future__ import annotations

FALLBACK_LANGUAGE = "en"

# Languages written right to left: their label lines are right-aligned.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "your_number": "Your number",
        "people_ahead": "People ahead: {n}",
        "you_are_next": "You are next",
        "estimated_wait": "Estimated wait: {wait}",
        "minutes": "{n} min",
        "about_minutes": "about {n} min",
        "range_minutes": "about {lo}\u2013{hi} min",
        "up_to_minutes": "up to {hi} min",
        "less_than_minute": "less than 1 min",
        "scan_to_follow": "Scan to follow your turn",
        "issued": "Issued {when}",
        "test_title": "Printer test",
        "test_ok": "If you can read this, the printer works.",
    },
    "es": {
        "your_number": "Su número",
        "people_ahead": "Personas delante: {n}",
        "you_are_next": "Es su turno a continuación",
        "estimated_wait": "Espera estimada: {wait}",
        "minutes": "{n} min",
        "about_minutes": "unos {n} min",
        "range_minutes": "unos {lo}\u2013{hi} min",
        "up_to_minutes": "hasta {hi} min",
        "less_than_minute": "menos de 1 min",
        "scan_to_follow": "Escanee para seguir su turno",
        "issued": "Emitido {when}",
        "test_title": "Prueba de impresora",
        "test_ok": "Si puede leer esto, la impresora funciona.",
    },
    "fr": {
        "your_number": "Votre numéro",
        "people_ahead": "Personnes avant vous : {n}",
        "you_are_next": "Vous êtes le prochain",
        "estimated_wait": "Attente estimée : {wait}",
        "minutes": "{n} min",
        "about_minutes": "environ {n} min",
        "range_minutes": "environ {lo}\u2013{hi} min",
        "up_to_minutes": "jusqu'à {hi} min",
        "less_than_minute": "moins d'1 min",
        "scan_to_follow": "Scannez pour suivre votre tour",
        "issued": "Émis {when}",
        "test_title": "Test de l'imprimante",
        "test_ok": "Si vous lisez ceci, l'imprimante fonctionne.",
    },
    "de": {
        "your_number": "Ihre Nummer",
        "people_ahead": "Personen vor Ihnen: {n}",
        "you_are_next": "Sie sind als Nächstes dran",
        "estimated_wait": "Geschätzte Wartezeit: {wait}",
        "minutes": "{n} Min.",
        "about_minutes": "etwa {n} Min.",
        "range_minutes": "etwa {lo}\u2013{hi} Min.",
        "up_to_minutes": "bis zu {hi} Min.",
        "less_than_minute": "weniger als 1 Min.",
        "scan_to_follow": "Scannen, um Ihre Nummer zu verfolgen",
        "issued": "Ausgestellt {when}",
        "test_title": "Druckertest",
        "test_ok": "Wenn Sie das lesen können, funktioniert der Drucker.",
    },
    "ar": {
        "your_number": "رقمك",
        "people_ahead": "عدد المنتظرين قبلك: {n}",
        "you_are_next": "دورك التالي",
        "estimated_wait": "مدة الانتظار المتوقعة: {wait}",
        "minutes": "{n} دقيقة",
        "about_minutes": "حوالي {n} دقيقة",
        "range_minutes": "حوالي {lo}\u2013{hi} دقيقة",
        "up_to_minutes": "حتى {hi} دقيقة",
        "less_than_minute": "أقل من دقيقة",
        "scan_to_follow": "امسح الرمز لمتابعة دورك",
        "issued": "صدر {when}",
        "test_title": "اختبار الطابعة",
        "test_ok": "إذا كنت تستطيع قراءة هذا، فالطابعة تعمل.",
    },
    "pt": {
        "your_number": "A sua senha",
        "people_ahead": "Pessoas à sua frente: {n}",
        "you_are_next": "É o próximo",
        "estimated_wait": "Espera estimada: {wait}",
        "minutes": "{n} min",
        "about_minutes": "cerca de {n} min",
        "range_minutes": "cerca de {lo}\u2013{hi} min",
        "up_to_minutes": "até {hi} min",
        "less_than_minute": "menos de 1 min",
        "scan_to_follow": "Leia o código para seguir a sua vez",
        "issued": "Emitido {when}",
        "test_title": "Teste da impressora",
        "test_ok": "Se consegue ler isto, a impressora funciona.",
    },
}


def base_language(language: str | None) -> str:
    """Return the primary subtag of a language tag, lower-cased ("pt-BR" -> "pt").

    Empty or missing tags give the fallback language.
    """
    if not language:
        return FALLBACK_LANGUAGE
    return language.replace("_", "-").split("-", 1)[0].strip().lower() or FALLBACK_LANGUAGE


def label(key: str, language: str | None, **values: object) -> str:
    """Return the label `key` in `language` (falling back to English), formatted with `values`.

    Raises KeyError for an unknown key: that is a programming error, not a missing translation.
    """
    table = LABELS.get(base_language(language), LABELS[FALLBACK_LANGUAGE])
    template = table.get(key)
    if template is None:
        template = LABELS[FALLBACK_LANGUAGE][key]
    return template.format(**values) if values else template


def is_rtl(language: str | None) -> bool:
    """Return True when `language` is written right to left."""
    return base_language(language) in RTL_LANGUAGES
