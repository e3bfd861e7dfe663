"""Pseudo-locale test: every page type, rendered in a made-up locale whose catalogue wraps each
extracted string as ``⟦…⟧`` with accented letters, shows no interface text left outside the
brackets. Text the catalogue does not know (a string never marked for translation, or marked
after the last ``make translations``) stays plain English and fails here, with the page and the
words.

What is not interface text is allowed: course content (elements with a ``lang`` attribute,
which the pages set from the course file's ``language:``, and ``course-content`` regions),
what people typed and records kept as written (``translate="no"``, the HTML attribute that
tells translation tools the same), code, names and e-mail addresses, ids, audit action codes,
numbers, language names and the locale's own month names. The page title may name the
course and lesson it shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from werkzeug.exceptions import NotFound

from learnapp.i18n import TRANSLATIONS_DIR, language_name

#: Esperanto: a locale Babel knows and LearnApp ships no catalogue for.
PSEUDO = "eo"
ACCENTS = str.maketrans("aeiouyncAEIOUYNC", "àéîõüýñçÀÉÎÕÜÝÑÇ")
TAG = re.compile(r"(<[^>]*>)")
PLACEHOLDER = re.compile(r"(%\([a-z_]+\)[sd]|%%)")
WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
#: Words that are the same in every language: the product, formats, the time zone.
NAMES = ("LearnApp", "Moodle", "PDF", "CSV", "JSON", "UTC", "VC-JWT", "Open Badges")
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def pseudo(message: str) -> str:
    """``Log in as <b>%(name)s</b>`` -> ``⟦Lõg îñ às ⟧<b>⟦%(name)s⟧</b>``: every text run is
    bracketed, tags and placeholders stay as they are."""
    out = []
    for part in TAG.split(message):
        if TAG.fullmatch(part) or not part.strip():
            out.append(part)
            continue
        accented = "".join(
            piece if PLACEHOLDER.fullmatch(piece) else piece.translate(ACCENTS)
            for piece in PLACEHOLDER.split(part)
        )
        out.append(f"⟦{accented}⟧")
    return "".join(out)


@pytest.fixture(scope="module")
def pseudo_translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pseudo catalogue, made from ``messages.pot`` and compiled into a folder of its own."""
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as pot:
        template = read_po(pot)
    catalog = Catalog(locale=PSEUDO)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            forms = tuple(pseudo(form) for form in message.id)
            catalog.add(message.id, forms + forms[-1:] * (catalog.num_plurals - len(forms)))
        else:
            catalog.add(message.id, pseudo(message.id), flags=message.flags)
    root = tmp_path_factory.mktemp("pseudo-translations")
    (root / PSEUDO / "LC_MESSAGES").mkdir(parents=True)
    with (root / PSEUDO / "LC_MESSAGES" / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    return root


@pytest.fixture
def pseudo_app(app, pseudo_translations):
    """The test app, speaking the pseudo locale as well (Flask-Babel reads its catalogue
    folders at start; the pseudo folder is added to them)."""
    app.config["LANGUAGES"] = ("en", PSEUDO)
    directories = app.extensions["babel"].translation_directories
    directories.append(str(pseudo_translations))
    yield app
    directories.remove(str(pseudo_translations))


class _TextNodes(HTMLParser):
    """Visible text nodes and aria-labels outside the allowed regions, with their element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.found: list[tuple[str, str]] = []

    def _allowed(self) -> bool:
        return any(allowed for _tag, allowed in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        allowed = (
            tag in SKIPPED_ELEMENTS
            or ("lang" in attributes and tag != "html")
            or attributes.get("translate") == "no"
            or "course-content" in (attributes.get("class") or "").split()
        )
        if not (allowed or self._allowed()):
            for name in ("aria-label", "title", "placeholder", "alt"):
                if attributes.get(name):
                    self.found.append((f"{tag}[{name}]", attributes[name] or ""))
        if tag not in VOID:
            self.stack.append((tag, allowed))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._allowed():
            where = self.stack[-1][0] if self.stack else "document"
            self.found.append((where, data))


def untranslated(html: str, allowed: list[str], titles: list[str] = ()) -> list[str]:
    """Text of ``html`` left outside ``⟦…⟧`` that has letters once ``allowed`` is removed
    (and the content ``titles`` in the page's ``<title>`` and in select options, which
    cannot mark a language of their own)."""
    parser = _TextNodes()
    parser.feed(html)
    left = []
    for where, text in parser.found:
        if where in ("title", "option"):
            for title in titles:
                text = text.replace(title, " ")
        rest, previous = text, None
        while rest != previous:  # inner brackets first: a translation inside a translation
            rest, previous = WRAPPED.sub(" ", rest), rest
        for word in allowed:
            rest = rest.replace(word, " ")
        rest = re.sub(r"\b[0-9a-f]{8,}\b|\b[A-Za-z0-9_-]{20,}\b", " ", rest)  # hashes and ids
        if re.search(r"[^\W\d_]", rest):
            left.append(f"<{where}> {' '.join(text.split())!r}")
    return left


def _allowed_words(db) -> list[str]:
    """People, ids and dates: the text a page shows that no catalogue translates."""
    from learnapp.audit.models import AuditEvent
    from learnapp.auth.models import User
    from learnapp.catalog.models import Question

    words: set[str] = set(NAMES) | {language_name(code) for code in ("en", "es", PSEUDO)}
    for user in db.session.scalars(db.select(User)):
        words |= {user.display_name, user.email}
    words |= set(db.session.scalars(db.select(Question.slug)))
    words |= set(db.session.scalars(db.select(AuditEvent.action)))
    words |= set(db.session.scalars(db.select(AuditEvent.target_type)))
    languages = set(Locale.parse(PSEUDO).languages.values())
    words |= languages | {name[:1].upper() + name[1:] for name in languages}
    locale = Locale.parse(PSEUDO)
    for context in locale.months.values():
        for names in context.values():
            words |= set(names.values())
    for context in locale.days.values():
        for names in context.values():
            words |= set(names.values())
    for context in locale.day_periods.values():
        for names in context.values():
            words |= {name for name in names.values() if isinstance(name, str)}
    words |= {"de"}  # Esperanto's long date: "7-a de decembro 2026"
    # Longest first, so that a name is removed before a shorter word inside it.
    return sorted((word for word in words if word), key=len, reverse=True)


def _content_titles(db) -> list[str]:
    from learnapp.catalog.models import Course, Lesson, Module, Quiz

    titles: set[str] = set()
    for model in (Course, Module, Lesson, Quiz):
        titles |= set(db.session.scalars(db.select(model.title)))
    return sorted(titles, key=len, reverse=True)


@pytest.fixture
def site(pseudo_app, db, sync, edit, make_user):
    """A course declared as English, a student part-way through it, a report and a
    certificate: enough for every page type to show its interface."""
    from learnapp.catalog.models import Course, Quiz
    from learnapp.certificates import services as certificates
    from learnapp.quizzes import lifecycle as quizzes
    from learnapp.reports import services as reports

    edit("basics/course.md", "level: beginner", "level: beginner\nlanguage: en")
    sync()
    people = {
        "student": make_user(email="student@example.com", display_name="Sam Student"),
        "instructor": make_user(
            email="instructor@example.com", role="instructor", display_name="Ivy Instructor"
        ),
        "admin": make_user(email="admin@example.com", role="admin", display_name="Ada Admin"),
        "other": make_user(email="other@example.com", display_name="Olga Other"),
    }
    for person in people.values():
        person.locale = PSEUDO
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    course = db.session.get(Course, quiz.course_id)
    other_attempt = quizzes.start_attempt(people["other"], quiz)
    quizzes.submit_attempt(other_attempt)
    certificate = certificates.award(people["other"], course, reason="pseudo", actor=None)
    report = reports.file_report(
        people["other"], other_attempt, other_attempt.answers[0], "key", "pseudo"
    )
    own_attempt = quizzes.start_attempt(people["student"], quiz)
    db.session.commit()
    from learnapp.mail import notices

    return {
        "unsubscribe": notices.unsubscribe_token(
            people["student"], notices.Notice.CERTIFICATE_ISSUED
        ),
        "people": people,
        "other": people["other"].id,
        "other_attempt": other_attempt.id,
        "own_attempt": own_attempt.id,
        "certificate": certificate.public_id,
        "report": report.id,
        "db": db,
    }


#: Page types per principal. ``{…}`` are filled from the ``site`` fixture.
PAGES = {
    "anonymous": [
        "/",
        "/login",
        "/register",
        "/reset/unknown-token",
        "/forgot-password",
        "/verify-email/unknown-token",
        "/unsubscribe/{unsubscribe}",
        "/unsubscribe/unknown-token",
        "/courses",
        "/courses/basics",
        "/courses/basics/lessons/basics-intro",
        "/courses/basics/quizzes/basics-quiz",
        "/search?q=basics",
        "/search?q=nothing-matches-this",
        "/privacy",
        "/certificates/{certificate}",
        "/no-such-page",
    ],
    "student": [
        "/",
        "/courses",
        "/courses/basics",
        "/courses/basics/lessons/basics-intro",
        "/courses/basics/quizzes/basics-quiz",
        "/dashboard",
        "/practice",
        "/account",
        "/account/two-factor",
        "/account/two-factor/setup",
        "/account/notifications",
        "/attempts/{own_attempt}",
        "/attempts/{own_attempt}/summary",
        "/certificates/{certificate}",
        "/admin/users",
    ],
    "instructor": [
        "/instruct",
        "/instruct/courses/basics",
        "/instruct/courses/basics/gradebook",
        "/instruct/courses/basics/students/{other}",
        "/instruct/courses/basics/attempts/{other_attempt}",
        "/instruct/courses/basics/quizzes/basics-quiz/analysis",
        "/instruct/courses/basics/reports",
        "/instruct/courses/basics/questions/q-single/reports",
        "/courses/basics",
    ],
    "admin": [
        "/admin/users",
        "/admin/users/{other}",
        "/admin/audit",
        "/admin/certificates",
        "/admin/certificates/award",
        "/certificates/{certificate}",
        "/instruct",
    ],
}


def _pages(site) -> Iterator[tuple[str, str]]:
    for role, paths in PAGES.items():
        for path in paths:
            yield role, path.format(**site)


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_type_is_translated(client, login, site, role):
    db = site["db"]
    headers = {"Accept-Language": f"{PSEUDO},en;q=0.5"}
    if role != "anonymous":
        login(site["people"][role])
    problems = []
    for page_role, path in _pages(site):
        if page_role != role:
            continue
        response = client.get(path, headers=headers)
        assert response.mimetype == "text/html", path
        html = response.get_data(as_text=True)
        assert f'<html lang="{PSEUDO}" dir="ltr">' in html, path
        problems += [
            f"{path}: {text}"
            for text in untranslated(html, _allowed_words(db), _content_titles(db))
        ]
    assert not problems, "Interface text outside the catalogue:\n" + "\n".join(problems)


def test_the_student_review_page_is_translated(client, login, site):
    from learnapp.quizzes import lifecycle as quizzes
    from learnapp.quizzes.models import QuizAttempt

    db = site["db"]
    attempt = db.session.get(QuizAttempt, site["own_attempt"])
    quizzes.submit_attempt(attempt)
    db.session.commit()
    login(site["people"]["student"])
    html = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert untranslated(html, _allowed_words(db), _content_titles(db)) == []


def test_the_two_factor_pages_are_translated(client, site):
    import pyotp

    from learnapp.two_factor import services as two_factor
    from tests.conftest import AuthActions

    db = site["db"]
    user = site["people"]["student"]
    secret = two_factor.new_secret()
    two_factor.enrol(user, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    headers = {"Accept-Language": PSEUDO}
    assert AuthActions(client).login(user).headers["Location"] == "/login/code"
    pages = [client.get(path, headers=headers) for path in ("/login/code", "/login/recovery")]
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    pages.append(client.get("/account/two-factor"))
    for response in pages:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert untranslated(html, _allowed_words(db), _content_titles(db)) == []


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_the_mail_pages_after_a_form_are_translated(client, login, site):
    """The pages a form leads to (verification required, a reset link asked for, an
    unsubscribe confirmed) and the account page of an unconfirmed address."""
    db = site["db"]
    user = site["people"]["student"]
    user.email_verified_at = None
    db.session.commit()
    headers = {"Accept-Language": PSEUDO}
    pages = [
        client.post("/forgot-password", data={"email": "student@example.com"}, headers=headers),
        client.post(f"/unsubscribe/{site['unsubscribe']}", headers=headers),
    ]
    login(user)
    pages.append(client.get("/verify-email", headers=headers))
    for response in pages:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert f'<html lang="{PSEUDO}" dir="ltr">' in html
        assert untranslated(html, _allowed_words(db), _content_titles(db)) == []


def test_mails_are_written_in_the_recipients_language(app, site):
    """A notice goes out in the language the recipient chose, whatever the page that caused
    it; subject, text and HTML alike."""
    from learnapp.certificates.models import Certificate
    from learnapp.mail import notices
    from learnapp.mail.models import OutboxMessage

    db = site["db"]
    other = site["people"]["other"]
    other.email_verified_at = other.created_at
    certificate = db.session.scalar(db.select(Certificate).filter_by(user_id=other.id))
    db.session.execute(db.delete(OutboxMessage))
    assert notices.certificate_issued(certificate)
    mail = db.session.scalar(db.select(OutboxMessage))
    assert mail.subject.startswith("⟦")
    assert "Course basics" in mail.subject
    assert '<html lang="eo">' in mail.html_body
    for body in (mail.text_body, mail.html_body.split("<body", 1)[1].split(">", 1)[1]):
        text = re.sub(r"<[^>]+>|https?://\S+", " ", body)
        for word in _allowed_words(db) + _content_titles(db) + ["Course basics"]:
            text = text.replace(word, " ")
        previous = None
        while text != previous:  # a notice's name inside the footer's sentence: inner first
            text, previous = WRAPPED.sub(" ", text), text
        assert text.strip(" \n-·:,.“”") == ""


def test_the_checker_finds_plain_english(site):
    html = '<html lang="eo"><body><p>⟦Çõürsés⟧ and more</p><p lang="en">Course text</p></body>'
    assert untranslated(html, []) == ["<p> '⟦Çõürsés⟧ and more'"]


def test_every_html_page_endpoint_is_rendered(app):
    """A new page must join PAGES (or say here why it is no page of its own)."""
    from tests.test_access import POLICY

    not_html = {
        "catalog.asset", "certificates.credential", "certificates.issuer", "certificates.key",
        "certificates.keys", "certificates.pdf", "certificates.status_list",
        "instructor.attempts_csv", "instructor.gradebook_csv", "main.favicon", "main.healthz",
        "ops.prometheus", "privacy.download",
    }  # fmt: skip
    # The review page needs a submitted attempt, the code steps a half-finished login: the
    # tests below.
    # The grading queue and page need an essay quiz: the test above.
    covered = {
        "quizzes.review", "two_factor.login_code", "two_factor.login_recovery",
        "instructor.grading_queue", "instructor.grade_attempt",
    }  # fmt: skip
    # The page asking to confirm the address needs verification required (the test above);
    # the one-click unsubscribe URL is for mail programs, and a GET redirects to the page.
    covered |= {"auth.verify_notice", "mail.one_click_unsubscribe"}
    adapter = app.url_map.bind("localhost")
    for paths in PAGES.values():
        for path in paths:
            filled = path.split("?")[0].format(
                certificate="x", own_attempt=1, other=1, other_attempt=1, unsubscribe="x"
            )
            try:
                endpoint, _args = adapter.match(filled)
            except NotFound:  # the 404 page, a page type of its own
                continue
            covered.add(endpoint)
    get_pages = {name for name, (method, _p, _e) in POLICY.items() if method == "GET"}
    assert get_pages - not_html - covered == set()


def test_the_essay_and_grading_pages_are_translated(client, login, site, courses_root, sync):
    """An essay quiz as the student writes it and reads its review (awaiting grading, then
    graded by rubric), and the instructor's queue, grading page, attempt, gradebook and item
    analysis with its rubric criteria."""
    from learnapp.catalog.models import Quiz
    from learnapp.quizzes import grading, lifecycle
    from learnapp.quizzes import services as quizzes
    from tests.quizzes.essays import add_essay_quiz

    db = site["db"]
    add_essay_quiz(courses_root)
    assert sync().ok
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="essay-quiz"))
    people = site["people"]
    student, instructor = people["student"], people["instructor"]

    def answer_all(attempt) -> None:
        for answer in attempt.answers:
            spec = quizzes.question_spec(answer.question_id, answer.question_hash)
            answer.response = True if spec.type == "true_false" else "Red flags, then refer."

    graded = lifecycle.start_attempt(people["other"], quiz)
    answer_all(graded)
    lifecycle.submit_attempt(graded)
    db.session.commit()
    for answer in graded.answers:
        if answer.needs_grading:
            spec = quizzes.question_spec(answer.question_id, answer.question_hash)
            levels = {c.id: "0" for c in getattr(spec.data, "rubric", ())}
            grading.grade_answer(
                answer, spec, grader=instructor, levels=levels, points="1", comment="Fine."
            )
    db.session.commit()
    waiting = lifecycle.start_attempt(student, quiz)
    answer_all(waiting)
    db.session.commit()
    headers = {"Accept-Language": PSEUDO}
    words, titles = _allowed_words(db), _content_titles(db)
    problems = []

    def check(path: str) -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        problems.extend(
            f"{path}: {text}"
            for text in untranslated(response.get_data(as_text=True), words, titles)
        )

    login(student)
    check(f"/attempts/{waiting.id}")
    lifecycle.submit_attempt(waiting)
    db.session.commit()
    check(f"/attempts/{waiting.id}/review")
    login(people["other"])
    check(f"/attempts/{graded.id}/review")
    login(instructor)
    for path in (
        "/instruct",
        "/instruct/courses/basics/grading",
        "/instruct/courses/basics/grading?quiz=essay-quiz&blind=1",
        f"/instruct/courses/basics/grading/attempts/{waiting.id}",
        f"/instruct/courses/basics/grading/attempts/{graded.id}?blind=1",
        f"/instruct/courses/basics/attempts/{waiting.id}",
        "/instruct/courses/basics/gradebook",
        "/instruct/courses/basics/quizzes/essay-quiz/analysis",
    ):
        check(path)
    assert not problems, "Interface text outside the catalogue:\n" + "\n".join(problems)
