"""Marking text for translation in modules that stay free of Flask (grading, statistics, rules).

``gettext`` here translates through whatever :func:`install` was given: the app installs
Flask-Babel's, which answers in the current request's language and in English outside a
request. Until then (a script, a pure unit test) text comes back as written, with its
``%(name)s`` placeholders filled. ``pybabel extract`` finds these calls like any other ``_()``.

Text for a reader other than the current request's (a certificate's recipient, the shell that
runs a command) comes from :func:`catalog`, which reads the same compiled catalogs without Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import default_locale, negotiate_locale
from babel.support import NullTranslations, Translations

#: The compiled catalogs (``make translations``): ``<locale>/LC_MESSAGES/messages.mo``.
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def _untranslated(message: str, **variables: Any) -> str:
    return message % variables if variables else message


def _plain_percent(value: Decimal | int) -> str:
    return f"{value}%"


_translate: Callable[..., str] = _untranslated
_percent: Callable[[Decimal | int], str] = _plain_percent


def install(
    translate: Callable[..., str], percent: Callable[[Decimal | int], str] | None = None
) -> None:
    """Translate from now on with ``translate(message, **variables)``, and write percentages
    (0-100) with ``percent`` (``70 %`` in Spanish) when given."""
    global _translate, _percent  # one process-wide translator, installed once at app start
    _translate = translate
    if percent is not None:
        _percent = percent


def gettext(message: str, **variables: Any) -> str:
    """``message`` in the reader's language, placeholders filled from ``variables``."""
    return _translate(message, **variables)


_ = gettext


def percent(value: Decimal | int) -> str:
    """A percentage on a 0-100 scale written for the reader: ``70%``, ``70 %``."""
    return _percent(value)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only: it is translated later, where it is shown."""
    return message


@cache
def catalog(locale: str) -> NullTranslations:
    """The interface's messages in ``locale`` (``es``), read from :data:`TRANSLATIONS_DIR`;
    messages come back as written for English or a locale without a catalog."""
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def translator(locale: str) -> Callable[..., str]:
    """``gettext(message, **variables)`` in ``locale``, as :func:`gettext` is for a request."""
    messages = catalog(locale)

    def translate(message: str, **variables: Any) -> str:
        text = messages.gettext(message)
        return text % variables if variables else text

    return translate


def environment_locale(supported: list[str] | tuple[str, ...]) -> str:
    """The command line's language: the shell's locale (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``) when it is one of ``supported``, else the first of them."""
    found = default_locale(("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"))
    if found:
        matched = negotiate_locale([found, found.split("_")[0]], list(supported))
        if matched:
            return matched
    return supported[0]
