"""The interface language: how a request's locale is chosen, what it changes on a page, and the
Spanish catalogue's completeness."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from learnapp.i18n import TRANSLATIONS_DIR, environment_locale, force_locale, language_name
from learnapp.templating import format_day, format_moment, number, percent
from tests.conftest import csrf_token_from

SPANISH_PO = TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.po"
SPANISH_MO = TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.mo"


def html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)


def test_english_is_the_default(client):
    html = client.get("/").get_data(as_text=True)
    assert html_tag(html) == '<html lang="en" dir="ltr">'
    assert "Skip to main content" in html


def test_the_browser_language_chooses_spanish(client):
    html = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert html_tag(html) == '<html lang="es" dir="ltr">'
    assert "Saltar al contenido principal" in html
    assert "Aprende con cursos escritos como código" in html


def test_an_unsupported_browser_language_falls_back_to_english(client):
    html = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert html_tag(html) == '<html lang="en" dir="ltr">'


def test_the_account_setting_wins_over_the_browser(client, login, student, db):
    student.locale = "es"
    db.session.commit()
    login(student)
    html = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_tag(html) == '<html lang="es" dir="ltr">'
    assert "Tu panel" in html


def test_a_student_chooses_a_language_on_the_account_page(client, login, student, db):
    login(student)
    page = client.get("/account").get_data(as_text=True)
    assert '<option selected value="">The browser&#39;s language</option>' in page
    assert '<option value="es">Español</option>' in page
    response = client.post(
        "/account",
        data={
            "language-csrf_token": csrf_token_from(page),
            "language-locale": "es",
            "language-submit": "Save language",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert html_tag(html) == '<html lang="es" dir="ltr">'
    assert "Se ha guardado tu idioma." in html  # in the language just chosen
    db.session.refresh(student)
    assert student.locale == "es"


def test_choosing_the_browser_language_clears_the_setting(client, login, student, db):
    student.locale = "es"
    db.session.commit()
    login(student)
    page = client.get("/account").get_data(as_text=True)
    client.post(
        "/account",
        data={
            "language-csrf_token": csrf_token_from(page),
            "language-locale": "",
            "language-submit": "Guardar el idioma",
        },
    )
    db.session.refresh(student)
    assert student.locale is None


def test_a_language_the_site_does_not_offer_is_refused(client, login, student, db):
    login(student)
    page = client.get("/account").get_data(as_text=True)
    response = client.post(
        "/account",
        data={
            "language-csrf_token": csrf_token_from(page),
            "language-locale": "fr",
            "language-submit": "Save language",
        },
    )
    assert response.status_code == 400
    db.session.refresh(student)
    assert student.locale is None


@pytest.mark.app_config(LANGUAGES=("en", "es", "ar"))
def test_a_right_to_left_locale_needs_no_template_change(client):
    """Arabic has no catalogue here: the text stays English, but lang and dir follow it."""
    html = client.get("/courses", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert html_tag(html) == '<html lang="ar" dir="rtl">'


def test_form_errors_are_translated(client):
    headers = {"Accept-Language": "es"}
    response = client.post(
        "/register",
        headers=headers,
        data={"email": "", "password": "short"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Corrige los campos resaltados." in html
    assert "Este campo es obligatorio." in html  # WTForms' own message, from its catalogue
    assert "Usa al menos 8 caracteres." in html  # LearnApp's password policy


def test_error_pages_are_translated(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "es"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Página no encontrada" in html


def test_course_language_is_named_and_set_on_the_content(courses_root, edit, sync, client):
    edit("basics/course.md", "level: beginner", "level: beginner\nlanguage: es")
    sync()
    html = client.get("/courses/basics").get_data(as_text=True)
    assert "<li>Course language: Spanish</li>" in html
    assert '<div class="prose course-content" lang="es">' in html
    assert '<h1 lang="es">Course basics</h1>' in html
    spanish = client.get("/courses/basics", headers={"Accept-Language": "es"})
    assert "<li>Idioma del curso: Español</li>" in spanish.get_data(as_text=True)


def test_a_course_without_a_language_marks_none(basics, client):
    html = client.get("/courses/basics").get_data(as_text=True)
    assert "Course language" not in html
    assert '<div class="prose course-content">' in html


def test_numbers_percentages_and_dates_follow_the_locale(app):
    moment = datetime(2026, 12, 7, 18, 5, tzinfo=UTC)
    with app.test_request_context(), force_locale("en"):
        assert number(Decimal("1234.50")) == "1,234.5"
        assert percent(Decimal("66.67")) == "66.67%"
        assert percent(Decimal("100.00")) == "100%"
        assert format_day(moment) == "December 7, 2026"
        assert format_moment(moment) == "Dec 7, 2026 6:05\u202fPM UTC"
    with app.test_request_context(), force_locale("es"):
        assert number(Decimal("1234.50")) == "1.234,5"
        assert percent(Decimal("66.67")) == "66,67\xa0%"
        assert percent(Decimal("66.666"), digits=1) == "66,7\xa0%"
        assert format_day(moment) == "7 de diciembre de 2026"
        assert format_moment(moment) == "7 dic 2026 18:05 UTC"


def test_scores_on_a_spanish_page_use_a_decimal_comma(client, login, student, basics, db):
    from learnapp.catalog.models import Quiz
    from learnapp.quizzes import lifecycle as quizzes

    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    attempt = quizzes.start_attempt(student, quiz)
    quizzes.submit_attempt(attempt)
    attempt.percent = Decimal("42.86")
    student.locale = "es"
    db.session.commit()
    login(student)
    html = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "<strong>42,86\xa0%</strong>" in html
    assert 'value="42.86"' in html  # the progress element's value stays machine-readable


@pytest.mark.parametrize(
    ("code", "own", "english"),
    [("en", "English", "English"), ("es", "Español", "Spanish"), ("pt-BR", "Português (Brasil)",
     "Portuguese (Brazil)")],
)  # fmt: skip
def test_language_names(app, code, own, english):
    with app.test_request_context(), force_locale("en"):
        assert language_name(code) == own
        assert language_name(code, in_own_language=False) == english


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({"LANG": "es_ES.UTF-8"}, "es"), ({"LANG": "C.UTF-8"}, "en"), ({"LANG": "fr_FR"}, "en"),
     ({"LANGUAGE": "es", "LANG": "en_US.UTF-8"}, "es")],
)  # fmt: skip
def test_the_command_line_speaks_the_shell_language(monkeypatch, environment, expected):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert environment_locale(["en", "es"]) == expected


def test_cli_messages_are_translated(runner, monkeypatch):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    result = runner.invoke(args=["users", "set-role", "--email", "nobody@x.org", "--role", "admin"])
    assert result.exit_code == 1
    assert "No hay ninguna cuenta con el correo electrónico nobody@x.org." in result.output


def test_course_check_speaks_the_shell_language(runner, monkeypatch, courses_root, edit):
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    edit("basics/course.md", "  - 02-more", "  - 02-more\n  - 03-gone")
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    result = runner.invoke(args=["courses", "check", str(courses_root / "basics")])
    assert result.exit_code == 1
    assert 'course.md:15: la carpeta de módulo "03-gone" no existe' in result.output


def test_pure_modules_translate_through_the_installed_translator(app):
    from learnapp.progress.services import unlock_message

    with app.test_request_context(), force_locale("es"):
        assert unlock_message(["a", "b", "c"]) == "Para desbloquearlo, a, b y c."
    with app.test_request_context(), force_locale("en"):
        assert unlock_message(["a"]) == "To unlock this, a."


def test_the_spanish_catalogue_has_no_empty_or_fuzzy_entries():
    with SPANISH_PO.open("rb") as handle:
        catalog = read_po(handle)
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    assert not catalog.fuzzy
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == []
    missing = {m.id for m in template if m.id} - {m.id for m in catalog if m.id}
    assert missing == set(), "run make translations and translate the new strings"


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed (a fresh clone runs without a build step): it must be current."""
    with SPANISH_PO.open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    compiled = {
        tuple(m.id) if isinstance(m.id, list | tuple) else m.id: (
            tuple(m.string) if isinstance(m.string, list | tuple) else m.string
        )
        for m in read_mo(BytesIO(SPANISH_MO.read_bytes()))
        if m.id
    }
    assert compiled == source, "run make translations (pybabel compile)"


def test_templates_follow_a_locale_forced_mid_request(app):
    """Templates look the catalogue up once per request (learnapp.i18n.catalogue), and again
    when the locale changes: a mail in the recipient's language inside a Spanish request."""
    render = app.jinja_env.from_string("{{ _('Courses') }}").render
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert render() == "Cursos"
        with force_locale("en"):
            assert render() == "Courses"
        assert render() == "Cursos"
