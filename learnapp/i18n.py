"""The interface language: which locale a request uses, and locale-aware formatting for templates.

The interface is translated with Flask-Babel (``learnapp/translations``, ``make translations``).
A signed-in user's own choice (``User.locale``, set on the account page) wins; otherwise the
browser's ``Accept-Language``; otherwise English. Course content is never translated: it stays as
its author wrote it (a course may declare its ``language:``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import flask_babel
from babel import Locale
from babel.core import UnknownLocaleError
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, get_locale, get_translations, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from learnapp import templating, translation
from learnapp.translation import TRANSLATIONS_DIR, environment_locale

babel = Babel()

#: The locales the interface is translated into, English first (the source language).
DEFAULT_LANGUAGES = ("en", "es")


def supported_locales() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def language_name(code: str, in_own_language: bool = True) -> str:
    """A language's name: in that language ("English", "Español"), as a language menu shows
    it, or with ``in_own_language=False`` in the reader's ("Spanish" on an English page)."""
    try:
        display = get_locale() if not in_own_language else None
        name = Locale.parse(code, sep="-" if "-" in code else "_").get_display_name(
            display or code.replace("-", "_")
        )
    except (ValueError, UnknownLocaleError):
        return code
    name = name or code
    return name[:1].upper() + name[1:]


def select_locale() -> str:
    """The user's saved choice, else the best match of ``Accept-Language``, else English."""
    supported = supported_locales()
    if not has_request_context():
        return environment_locale(supported)
    try:
        user_locale = getattr(current_user, "locale", None)
    except SQLAlchemyError:
        # The database is down (the error page is being rendered): the browser decides.
        user_locale = None
    if user_locale in supported:
        return str(user_locale)
    return request.accept_languages.best_match(supported) or supported[0]


def lang_attr(tag: str | None) -> Markup:
    """`` lang="es"`` for an element whose text is in ``tag`` (course content), else nothing."""
    return Markup(' lang="{}"').format(tag) if tag else Markup("")


LEVEL_NAMES = {
    "beginner": _l("Beginner"),
    "intermediate": _l("Intermediate"),
    "advanced": _l("Advanced"),
}


def level_name(level: str) -> str:
    """A course level from the course file's fixed list, in the reader's language."""
    return str(LEVEL_NAMES.get(level, level.title()))


GRADE_STATUS_NAMES = {"right": _l("Right"), "partial": _l("Partial"), "wrong": _l("Wrong")}


def grade_status_name(status: str) -> str:
    """How a graded answer did (``right``, ``partial``, ``wrong``), in the reader's language."""
    return str(GRADE_STATUS_NAMES.get(status, status.title()))


def cli_gettext(message: str) -> str:
    """``message`` in the shell's language (:func:`environment_locale`), with the app's
    catalogs when a command runs (an app context) and straight from the catalogs before that."""
    if has_app_context() and not has_request_context():
        return gettext(message)
    return translation.translator(environment_locale(DEFAULT_LANGUAGES))(message)


def lazy_cli_gettext(message: str) -> LazyString:
    """A command's or option's ``help=``: click reads it when it prints ``--help``, long after
    import, so it is translated then (in the shell's language), with or without the app."""
    return LazyString(cli_gettext, message)


class LazyHelpOption(click.Option):
    """An option whose lazy ``help=`` is translated when ``--help`` prints it: click cleans an
    option's help text up when the option is made (at import), which would fix its language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_text = kwargs.get("help")
        self.lazy_help = help_text if isinstance(help_text, LazyString) else None

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.lazy_help is not None:
            self.help = inspect.cleandoc(str(self.lazy_help))
        return super().get_help_record(ctx)


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>``: ``es``, ``pt-BR`` (Babel writes ``pt_BR``)."""
    return str(get_locale() or "en").replace("_", "-")


def text_direction() -> str:
    """``rtl`` for right-to-left locales (Arabic, Hebrew, Persian, Urdu...), from CLDR."""
    locale = get_locale()
    return "rtl" if locale is not None and locale.text_direction == "rtl" else "ltr"


ROLE_NAMES = {"student": _l("student"), "instructor": _l("instructor"), "admin": _l("admin")}


def role_name(role: str) -> str:
    """A role as the reader says it ("student", "estudiante")."""
    return str(ROLE_NAMES.get(str(role), role))


def catalogue() -> NullTranslations:
    """The current locale's translations, looked up once per request: Flask-Babel's own
    lookup walks the request context three times per string, and a page shows dozens. Change
    the locale mid-request with :func:`force_locale` or :func:`refresh` below, which forget it.
    """
    found = g.get("learnapp_catalogue")
    if found is None:
        found = g.learnapp_catalogue = get_translations()
    return found  # type: ignore[no-any-return]


def _forget_catalogue() -> None:
    if has_app_context():
        g.pop("learnapp_catalogue", None)


@contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """Flask-Babel's ``force_locale``, followed by templates too (a mail in its recipient's
    language)."""
    _forget_catalogue()
    try:
        with flask_babel.force_locale(locale):
            yield
    finally:
        _forget_catalogue()


def refresh() -> None:
    """Flask-Babel's ``refresh`` (the user changed their language), followed by templates."""
    flask_babel.refresh()
    _forget_catalogue()


def _install_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`catalogue` (same strings, same results)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
    )


def init_i18n(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", DEFAULT_LANGUAGES)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    _install_template_gettext(app)
    translation.install(gettext, percent=templating.percent)
    # {% trans %} blocks are extracted and looked up with their whitespace collapsed (babel.cfg).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_global(html_lang)
    app.add_template_global(text_direction)
    app.add_template_global(language_name)
    app.add_template_global(role_name)
    app.add_template_global(lang_attr)
    app.add_template_global(level_name)
    app.add_template_global(grade_status_name)
