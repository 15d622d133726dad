"""Page text ready for translation: Babel catalogues under locale/, chosen per page by `lang`.

Templates say ``{{ _("Your family's plan") }}`` or ``{% trans %}…{% endtrans %}``. A handler
puts the reader's language in the template context as ``lang`` (a family member's
``language``); the catalogue for it is used when one exists, else English. English is the
source language, so English pages read right even before `make translations` compiles the
catalogue. Because the language travels in each render's context (not in the shared
environment), concurrent requests in different languages cannot see each other's words.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.lists import format_list
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from tracker.clock import LONDON
from tracker.settings import PROJECT_ROOT

LOCALE_DIR = PROJECT_ROOT / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


@lru_cache(maxsize=32)
def translations(lang: str) -> NullTranslations:
    """The catalogue for a language, falling back to English, then to the source text."""
    return Translations.load(str(LOCALE_DIR), [lang or SOURCE_LANGUAGE, SOURCE_LANGUAGE],
                             domain=DOMAIN)


@lru_cache(maxsize=32)
def language_used(lang: str) -> str:
    """The language a page in `lang` is actually shown in (for the html lang attribute)."""
    if lang and lang != SOURCE_LANGUAGE and stdlib_gettext.find(DOMAIN, str(LOCALE_DIR), [lang]):
        return lang
    return SOURCE_LANGUAGE


@lru_cache(maxsize=64)
def language_name(lang: str) -> str:
    """A language's name in English ("Urdu" for "ur"), or "" when it is not a known code."""
    try:
        return Locale.parse(lang.replace("-", "_")).get_display_name(SOURCE_LANGUAGE) or ""
    except (ValueError, TypeError, UnknownLocaleError):
        return ""


def _lang(context: Context) -> str:
    value = context.get("lang")
    return value if isinstance(value, str) and value else SOURCE_LANGUAGE


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_lang(context)).ugettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_lang(context)).ungettext(singular, plural, n)


def format_day(value: date | datetime | None, lang: str = SOURCE_LANGUAGE) -> str:
    """'Tuesday 8 December 2026' in a language (Europe/London for instants), outside a page too."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return format_date(value, "EEEE d MMMM y", locale=language_used(lang))


@pass_context
def _day(context: Context, value: date | datetime | None) -> str:
    """'Tuesday 8 December 2026' in the page's language (Europe/London for instants)."""
    return format_day(value, _lang(context))


@pass_context
def _time(context: Context, value: datetime | None) -> str:
    """'10:00am' (or the language's own way) in Europe/London."""
    if value is None:
        return ""
    lang = language_used(_lang(context))
    local = value.astimezone(LONDON)
    if lang == SOURCE_LANGUAGE:
        return local.strftime("%-I:%M%p").lower()
    return format_time(local.time(), "short", locale=lang)


@pass_context
def _names(context: Context, names: Any) -> str:
    """'Rosie and Alfie' (or 'Rosie, Alfie and Sam') in the page's language: never 'Rosie, Alfie'."""
    items = [str(name) for name in names]
    if not items:
        return ""
    lang = language_used(_lang(context))
    # Babel's plain English puts a comma before "and"; the families read British English.
    return format_list(items, locale="en_GB" if lang == SOURCE_LANGUAGE else lang)


def install(env: Environment) -> None:
    """Give an environment with jinja2.ext.i18n gettext/ngettext that follow the page's `lang`.

    This is install_gettext_translations with the translations picked per render: newstyle
    gettext autoescapes and formats ``%(name)s`` placeholders.
    """
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2's i18n extension at run time
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.filters.update(day_in_language=_day, time_in_language=_time, language_name=language_name,
                       names_in_language=_names)


def gettext_for(lang: str) -> Any:
    """A plain gettext function for Python code that builds words for a page."""
    return translations(lang).ugettext


def refresh_catalogues(locale_dir: Any = None) -> list[str]:
    """Extract the family pages' text, update every catalogue, fill English, compile.

    The steps `make translations` runs: ``pybabel extract`` (babel.cfg) into messages.pot,
    ``pybabel init``/``update`` for each language under locale/ (English always), English
    msgstrs set to the source text, then ``pybabel compile``. Returns the languages done.
    """
    from babel.messages.frontend import CommandLineInterface  # noqa: PLC0415 - translators' tool only
    from babel.messages.pofile import read_po, write_po  # noqa: PLC0415 - translators' tool only

    root = PROJECT_ROOT
    target = LOCALE_DIR if locale_dir is None else locale_dir
    pot = target / f"{DOMAIN}.pot"
    target.mkdir(parents=True, exist_ok=True)

    def pybabel(*args: str) -> None:
        CommandLineInterface().run(["pybabel", "-q", *args])

    pybabel("extract", "-F", str(root / "babel.cfg"), "-k", "N_", "--no-location",
            "--sort-output", "--project", "tracker", "--copyright-holder", "the tracker authors",
            "-o", str(pot), str(root))
    languages = sorted({p.name for p in target.iterdir() if (p / "LC_MESSAGES").is_dir()}
                       | {SOURCE_LANGUAGE})
    for lang in languages:
        po = target / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po.exists():
            pybabel("update", "-i", str(pot), "-d", str(target), "-l", lang, "--no-fuzzy-matching",
                    "--ignore-obsolete")
        else:
            pybabel("init", "-i", str(pot), "-d", str(target), "-l", lang)
        if lang == SOURCE_LANGUAGE:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
            with po.open("wb") as fh:
                write_po(fh, catalog, no_location=True, sort_output=True)
    pybabel("compile", "-d", str(target), "--statistics")
    translations.cache_clear()
    language_used.cache_clear()
    return languages


if __name__ == "__main__":
    print("Catalogues refreshed:", ", ".join(refresh_catalogues()))
