"""Security probes (issue 8, RELIABILITY.md section 2): shared world, route enumeration, audits.

Routes are read from ``app.url_map``, so routes added later are probed without editing these
tests. Arguments are filled from :func:`arg_samples` (real objects of the ``world`` fixture);
an argument nobody knows gets a placeholder (``1`` or ``"x"``), which still probes headers,
CSRF, row counts and error pages; such routes are listed in the figures (add a sample to
:func:`arg_samples` to reach their real pages).

Each check records its figure with ``figure.add(name, n)``; the figures are printed at the end
of the run under "security figures" (and attached to the JUnit report as properties).
"""

from __future__ import annotations

import contextvars
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import func, select

from learnapp.auth.models import User
from learnapp.catalog.models import Quiz
from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import OPEN, QuizAttempt
from tests.conftest import PASSWORD, AuthActions, IsolatedClient

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ROLES = ("anonymous", "student", "instructor", "admin")

# --- figures ------------------------------------------------------------------------------

_FIGURES = pytest.StashKey[dict[str, Any]]()


class Figures:
    """Counters shared by all security tests of a run (summed across parametrized cases)."""

    def __init__(self, store: dict[str, Any], node: pytest.Item) -> None:
        self.store = store
        self.node = node

    def add(self, name: str, value: int | float = 1) -> None:
        self.store[name] = self.store.get(name, 0) + value
        self.node.user_properties.append((name, value))

    def set(self, name: str, value: Any) -> None:
        self.store[name] = value
        self.node.user_properties.append((name, value))

    def max(self, name: str, value: float) -> None:
        self.store[name] = max(self.store.get(name, value), value)
        self.node.user_properties.append((name, value))


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figures:
    return Figures(request.config.stash.setdefault(_FIGURES, {}), request.node)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = config.stash.get(_FIGURES, {})
    if not figures:
        return
    terminalreporter.write_sep("-", "security figures (RELIABILITY.md section 2)")
    for name in sorted(figures):
        value = figures[name]
        if isinstance(value, float):
            value = f"{value:.3g}"
        terminalreporter.write_line(f"{name}: {value}")


# --- the world every route is probed in -----------------------------------------------------


@dataclass
class World:
    student: User
    other: User
    instructor: User
    admin: User
    quiz: Quiz
    open_attempt: QuizAttempt
    submitted_attempt: QuizAttempt
    other_attempt: QuizAttempt
    users: dict[str, User] = field(default_factory=dict)
    certificate_id: str | None = None


def _award_certificate(student: User, quiz: Quiz, admin: User) -> str | None:
    """A certificate for ``student``, if the certificates feature is installed (PDF probes)."""
    try:
        from learnapp.catalog.models import Course
        from learnapp.certificates import services as certificates
    except ImportError:
        return None
    course = db.session.get(Course, quiz.course_id)
    certificate = certificates.award(student, course, reason="security probes", actor=admin)
    db.session.commit()
    return certificate.public_id


@pytest.fixture
def world(sync, make_user, student, instructor, admin) -> World:
    """The basics course; ``student`` has a submitted and an open attempt, ``other`` an open one."""
    sync()
    quiz = db.session.scalar(select(Quiz).filter_by(slug="basics-quiz"))
    submitted = lifecycle.start_attempt(student, quiz)
    lifecycle.submit_attempt(submitted)
    open_attempt = lifecycle.start_attempt(student, quiz)
    other = make_user(email="other@example.com", display_name="Otto Other")
    other_attempt = lifecycle.start_attempt(other, quiz)
    db.session.commit()
    certificate = _award_certificate(student, quiz, admin)
    return World(
        certificate_id=certificate,
        student=student,
        other=other,
        instructor=instructor,
        admin=admin,
        quiz=quiz,
        open_attempt=open_attempt,
        submitted_attempt=submitted,
        other_attempt=other_attempt,
        users={"student": student, "instructor": instructor, "admin": admin},
    )


def arg_samples(world: World) -> dict[str, list[Any]]:
    """Values for URL arguments, by argument name (several values: each is probed)."""
    return {
        "course_slug": ["basics"],
        "lesson_slug": ["basics-intro"],
        "quiz_slug": ["basics-quiz"],
        "asset_path": ["01-start/images/diagram.png"],
        "attempt_id": [world.open_attempt.id, world.submitted_attempt.id],
        "user_id": [world.student.id],
        "token": ["x" * 43],
        "course_id": [world.quiz.course_id],
        "answer_id": [world.open_attempt.answers[0].id],
        "question_slug": ["q-single"],
        "public_id": [world.certificate_id or "x" * 22],
    }


@dataclass(frozen=True)
class Probe:
    endpoint: str
    method: str
    path: str
    placeholders: tuple[str, ...] = ()


def _placeholder(rule: Any, arg: str) -> Any:
    converter = type(rule._converters.get(arg)).__name__
    return 1 if converter in ("IntegerConverter", "FloatConverter") else "x"


def probes(
    app: Flask, world: World | None, methods: tuple[str, ...] = ("GET", *UNSAFE_METHODS)
) -> Iterator[Probe]:
    """One probe per URL rule, method and combination of sample arguments."""
    samples = arg_samples(world) if world is not None else {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        args = sorted(rule.arguments)
        unknown = tuple(a for a in args if a not in samples)
        choices = [samples.get(a) or [_placeholder(rule, a)] for a in args]
        for method in methods:
            if method not in (rule.methods or ()):
                continue
            for values in itertools.product(*choices):
                path = rule.build(dict(zip(args, values, strict=True)), append_unknown=False)[1]
                if rule.endpoint == "static":
                    path = "/static/css/app.css"
                yield Probe(rule.endpoint, method, path, unknown)


class BufferedClient(IsolatedClient):
    """An :class:`IsolatedClient` that reads the whole body inside the request's context.

    Streamed responses (``stream_with_context``, e.g. CSV exports) pop their request context
    when the body ends; reading it later, in the test's context, fails with "created in a
    different Context".
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            db.session.commit()

        def run() -> Any:
            response = FlaskClient.open(self, *args, **kwargs)
            response.get_data()
            response.close()
            return response

        return contextvars.Context().run(run)


@pytest.fixture
def client_as(app: Flask) -> Callable[[str, World], FlaskClient]:
    """``client_as(role, world)``: a fresh client logged in through the real form."""

    def make(role: str, world: World) -> FlaskClient:
        client = BufferedClient(app, app.response_class, use_cookies=True)
        if role != "anonymous":
            response = AuthActions(client).login(world.users[role], PASSWORD)
            assert response.status_code == 302, f"login as {role} failed"
        return client

    return make


#: The one state a GET may change without adding rows: closing an overdue attempt.
OPEN_ATTEMPTS = "quiz_attempts (open)"


def row_counts() -> dict[str, int]:
    """Rows per table, and the open attempts (closing one adds no row)."""
    db.session.commit()
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }
    counts[OPEN_ATTEMPTS] = db.session.scalar(
        select(func.count()).select_from(QuizAttempt).where(QuizAttempt.status == OPEN)
    )
    return counts


# --- HTML audit: markup that would run in a browser ------------------------------------------

#: Every payload carries this marker, so injected elements are told from the site's own.
MARK = "xssprobe"
URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcset"}
BAD_SCHEMES = re.compile(r"^(javascript|vbscript|data):", re.I)
DANGEROUS_TAGS = {"iframe", "frame", "object", "embed", "base", "applet", "portal"}


class ScriptAudit(HTMLParser):
    """Anything a browser would execute or load from the page's own markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if MARK in tag:
            self.findings.append(f"injected element <{tag}>")
        if tag == "script":
            self._in_script = True
            if not (attributes.get("src") or "").startswith("/static/"):
                self.findings.append(f"script element {attrs}")
        if tag in DANGEROUS_TAGS:
            self.findings.append(f"<{tag}> element")
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "refresh":
            self.findings.append("meta refresh")
        if tag == "link" and not (attributes.get("href") or "").startswith("/"):
            self.findings.append(f"external <link> {attrs}")
        for name, value in attrs:
            if name.startswith("on") or MARK in name:
                self.findings.append(f"attribute {name}= on <{tag}>")
            if name == "style":
                self.findings.append(f"style= on <{tag}>")
            if name in URL_ATTRS and value:
                compact = "".join(value.split())
                if BAD_SCHEMES.match(compact):
                    self.findings.append(f"{name}={value!r} on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.findings.append("inline script text")


def executable_markup(html: str) -> list[str]:
    """What in ``html`` would execute (inline script, handlers, js: URLs, injected elements)."""
    audit = ScriptAudit()
    audit.feed(html)
    audit.close()
    return audit.findings


#: The site's own forms: method, action, fields (name -> value) and text inputs.
@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]]
    text_fields: list[str]
    selects: dict[str, list[str]]
    #: The first named submit button: the one a browser sends on Enter.
    submitted_by: str = ""


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("method", "get").upper(), a.get("action", ""), [], [], {}))
        elif not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("text", "search", "url", "tel") or tag == "textarea":
                form.text_fields.append(a["name"])
            elif kind in ("hidden",) or (kind in ("checkbox", "radio") and "checked" in a):
                form.fields.append((a["name"], a.get("value", "")))
            elif kind == "submit" and not form.submitted_by:
                form.submitted_by = a["name"]
                form.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            form.text_fields.append(a["name"])
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            form.selects[a["name"]] = []
        elif tag == "option" and self._select and a.get("value"):
            form.selects[self._select].append(a["value"])
        elif tag == "button" and a.get("name") and not form.submitted_by:
            form.submitted_by = a["name"]
            form.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms
