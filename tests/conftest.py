"""Shared fixtures: one migrated database per run, a fresh app and empty tables per test.

Set ``LEARNAPP_TEST_DATABASE_URL`` to run everything on PostgreSQL instead of SQLite.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, event, text
from werkzeug.serving import make_server

from learnapp import create_app
from learnapp.auth import services as auth_services
from learnapp.auth.models import Role, User
from learnapp.catalog import services as catalog_services
from learnapp.catalog.models import Course, Lesson, Question, Quiz
from learnapp.certificates.credentials import Ed25519PrivateKey, private_pem
from learnapp.database import utcnow
from learnapp.extensions import db as _db
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quiz_services
from learnapp.quizzes.models import SUBMITTED, QuizAttempt
from learnapp.quizzes.questions import best_answer

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
PASSWORD = "a long test passphrase"
#: The certificate signing key of test apps (production ones refuse to start without one).
CERTIFICATE_KEY = private_pem(Ed25519PrivateKey.generate()).decode()


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("LEARNAPP_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per run (the migrations themselves are under test)."""
    url = _test_database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(base_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        _db.engine.dispose()
    return url


def base_config(url: str, instance_path: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": url,
        "COURSES_DIR": str(DATA / "courses"),
        "PASSWORD_HASHING": "fast",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://learnapp.test",
        "SERVER_NAME": None,
        "CERTIFICATE_KEY": CERTIFICATE_KEY,
        # Staff fixtures log in with the password alone; tests/two_factor switches the
        # requirement on (the production default) where it is what they test.
        "TWO_FACTOR_REQUIRED_ROLES": "",
        # Mail is kept in memory; tests/mail start an SMTP server where they check it.
        "MAIL_BACKEND": "locmem",
        "MAIL_VERIFICATION": "off",
        **overrides,
    }


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "app_config(**values): extra configuration for the app fixture"
    )


def _empty_tables() -> None:
    """Remove every row, keeping the schema (faster than rebuilding it per test)."""
    tables = [table.name for table in _db.metadata.sorted_tables]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - names from metadata
    for hook in _db.metadata.info.get("extra_cleanup", []):
        hook(_db.engine)


class IsolatedClient(FlaskClient):
    """A test client whose requests run in fresh contexts, as in production.

    Without this, requests reuse the fixture's app context, so ``g`` (and Flask-Login's cached
    user) and the database session would leak from one request, or one client, to the next.
    The test's own session is committed first, so the request sees what the test set up and no
    lock is held while it runs.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            _db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    marker = request.node.get_closest_marker("app_config")
    overrides = marker.kwargs if marker else {}
    app = create_app(base_config(database_url, tmp_path / "instance", **overrides))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.remove()
        _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an extra app (e.g. with a broken database URL); its connections close afterwards."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app(base_config(database_url, tmp_path / "extra-instance", **overrides))
        app.test_client_class = IsolatedClient
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create (and commit) a user; every field has a default."""
    counter = iter(range(1, 1_000_000))

    def make(
        email: str | None = None,
        role: Role | str = Role.STUDENT,
        password: str = PASSWORD,
        display_name: str | None = None,
        is_active: bool = True,
    ) -> User:
        n = next(counter)
        user = auth_services.create_user(
            email or f"user{n}@example.com", password, display_name or f"Test User {n}", role
        )
        user.is_active = is_active
        _db.session.commit()
        return user

    return make


@pytest.fixture
def student(make_user: Callable[..., User]) -> User:
    return make_user(email="student@example.com", display_name="Sam Student")


@pytest.fixture
def instructor(make_user: Callable[..., User]) -> User:
    return make_user(
        email="instructor@example.com", role=Role.INSTRUCTOR, display_name="Ivy Instructor"
    )


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(email="admin@example.com", role=Role.ADMIN, display_name="Ada Admin")


CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in page"
    return match.group(1) or match.group(2)


class AuthActions:
    """Log in and out through the real forms (flaskr's AuthActions)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def _token(self, path: str) -> dict[str, str]:
        page = self.client.get(path)
        match = CSRF_INPUT.search(page.get_data(as_text=True))
        return {"csrf_token": (match.group(1) or match.group(2))} if match else {}

    def login(self, user_or_email: User | str, password: str = PASSWORD, **extra: Any) -> Any:
        email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
        data = {"email": email, "password": password, **self._token("/login"), **extra}
        return self.client.post("/login", data=data)

    def logout(self) -> Any:
        return self.client.post("/logout", data=self._token("/account"))


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def auth_for() -> type[AuthActions]:
    """``auth_for(other_client).login(user)``: log a second client in."""
    return AuthActions


@pytest.fixture
def password() -> str:
    """The password every factory-made user has."""
    return PASSWORD


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """``login(user)`` logs ``client`` in as ``user`` and returns it."""

    def do_login(user: User) -> FlaskClient:
        # Start from a logged-out browser, so one test can switch users.
        for cookie in ("session", "remember_token"):
            client.delete_cookie(cookie)
        response = AuthActions(client).login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do_login


@pytest.fixture
def courses_root(app, tmp_path) -> Path:
    """A writable copy of tests/data/courses, configured as the app's courses folder."""
    root = tmp_path / "courses"
    shutil.copytree(DATA / "courses", root)
    app.config["COURSES_DIR"] = str(root)
    return root


@pytest.fixture
def sync(app: Flask) -> Callable[[], catalog_services.SyncReport]:
    def run() -> catalog_services.SyncReport:
        report = catalog_services.sync_courses()
        _db.session.commit()
        return report

    return run


@pytest.fixture
def basics(sync) -> Course:
    sync()
    return _db.session.scalar(_db.select(Course).filter_by(slug="basics"))


@pytest.fixture
def edit(courses_root) -> Callable[[str, str, str], None]:
    """``edit(relpath, old, new)`` changes a course file in place."""

    def change(relpath: str, old: str, new: str) -> None:
        path = courses_root / relpath
        text = path.read_text()
        assert old in text, f"{old!r} not in {relpath}"
        path.write_text(text.replace(old, new))

    return change


# --- real parallel requests --------------------------------------------------------------


@pytest.fixture
def threaded_server(app: Flask) -> Iterator[str]:
    """The test app on a threaded HTTP server; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture
def parallel_post(threaded_server: str, client: FlaskClient) -> Callable[..., list[int]]:
    """``parallel_post(path, times=20)``: POST from ``times`` threads released at once, with
    ``client``'s session cookie; returns the statuses (redirects are not followed).

    The test's own transaction ends first: a lazy attribute load would otherwise hold SQLite's
    write lock in the test thread while the server threads wait for it.
    """
    opener = urllib.request.build_opener(_NoRedirect)

    def post(path: str, times: int = 20) -> list[int]:
        _db.session.commit()
        cookie = f"session={client.get_cookie('session').value}"
        barrier = threading.Barrier(times)
        statuses: list[int] = []

        def one() -> None:
            request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
                threaded_server + path, data=b"", method="POST", headers={"Cookie": cookie}
            )
            barrier.wait()
            try:
                with opener.open(request, timeout=60) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)

        threads = [threading.Thread(target=one) for _ in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return statuses

    return post


# --- the test course's items and quick quiz results (progress, certificates, instructor) ---


@pytest.fixture
def lesson(basics) -> Callable[[str], Lesson]:
    """``lesson("basics-intro")``: a lesson row of the test course by its id."""

    def find(slug: str) -> Lesson:
        return _db.session.scalar(_db.select(Lesson).filter_by(course_id=basics.id, slug=slug))

    return find


@pytest.fixture
def basics_quiz(basics) -> Quiz:
    return _db.session.scalar(_db.select(Quiz).filter_by(slug="basics-quiz"))


@pytest.fixture
def submit_result() -> Callable[..., QuizAttempt]:
    """``submit_result(user, quiz, percent)``: a submitted, graded attempt (no questions)."""

    def submit(user: User, quiz: Quiz, percent: int | str) -> QuizAttempt:
        number = 1 + len(
            _db.session.scalars(
                _db.select(QuizAttempt).filter_by(user_id=user.id, quiz_id=quiz.id)
            ).all()
        )
        attempt = QuizAttempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=number,
            status=SUBMITTED,
            started_at=utcnow(),
            submitted_at=utcnow(),
            token_nonce=secrets.token_hex(16),
            score=Decimal(percent),
            max_score=Decimal(100),
            percent=Decimal(percent),
        )
        _db.session.add(attempt)
        _db.session.commit()
        return attempt

    return submit


# --- the test course's quiz: settings, graded attempts, the principals of role tests ---


@pytest.fixture
def quiz(sync) -> Quiz:
    sync()
    return _db.session.scalar(_db.select(Quiz).filter_by(slug="basics-quiz"))


@pytest.fixture
def set_quiz(quiz) -> Callable[..., Quiz]:
    """Change the quiz's settings in the database (as a course file edit would)."""

    def change(**settings: Any) -> Quiz:
        quiz.settings = {**quiz.settings, **settings}
        # A file edit gives the course a new version, so that pages rebuild its snapshot.
        _db.session.get(Course, quiz.course_id).content_hash = secrets.token_hex(32)
        _db.session.commit()
        return quiz

    return change


@pytest.fixture
def submit(quiz) -> Callable[..., QuizAttempt]:
    """``submit(user, {question slug: real answer or "correct"})``: a graded attempt.

    Questions left out stay unanswered (0 points)."""

    def make(user: User, answers: dict[str, Any]) -> QuizAttempt:
        attempt = lifecycle.start_attempt(user, quiz)
        for answer in attempt.answers:
            slug = _db.session.get(Question, answer.question_id).slug
            if slug in answers:
                value = answers[slug]
                if value == "correct":
                    spec = quiz_services.question_spec(answer.question_id, answer.question_hash)
                    value = best_answer(spec)
                answer.response = value
        lifecycle.submit_attempt(attempt)
        _db.session.commit()
        return attempt

    return make


@pytest.fixture
def principals(make_user, instructor, admin) -> dict[str, User | None]:
    """anonymous, student, an instructor of another course, the course's instructor, admin."""
    return {
        "anonymous": None,
        "student": make_user(email="someone@example.com"),
        "other_instructor": make_user(email="elsewhere@example.com", role=Role.INSTRUCTOR),
        "instructor": instructor,  # instructor@example.com: named in the basics course file
        "admin": admin,
    }


@pytest.fixture
def sql_statements() -> Callable[[], contextlib.AbstractContextManager[list[str]]]:
    """``with sql_statements() as seen:`` collects every SQL statement run inside the block."""

    @contextlib.contextmanager
    def collect() -> Iterator[list[str]]:
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(_db.engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(_db.engine, "before_cursor_execute", record)

    return collect
