"""Browser test harness: Debian's Chromium, a live server per test, axe and a console guard.

Every test under ``tests/e2e`` is marked ``e2e`` here and skipped (with the reason) when
``/usr/bin/chromium`` is missing; no browser is ever downloaded. One browser is shared by the
session; each test gets a fresh context, so cookies never leak between tests.

The app runs with its real security headers, CSP included, and with CSRF protection on, so the
browser submits the same tokens a user's would. ``assert_accessible`` injects axe-core with
``page.evaluate`` (a DevTools call, not a page script), which the page's CSP does not block:
``bypass_csp`` is never used.

Fixtures a test can ask for: ``live_server`` (base URL; ``page`` navigates relative to it),
``viewport`` (``"desktop"`` 1280x800 or ``"phone"`` 390x844; parametrize it to run a test at
both sizes), ``page`` (pytest-playwright's, with the console guard attached: the test fails on
console errors, uncaught exceptions and CSP violations), ``console_guard``, ``account`` (create
a user, get plain values), ``student_account``, ``admin_account``, and the helpers
``assert_accessible(page, context=None)``, ``axe_violations`` and ``has_horizontal_scroll``
(handed out as fixtures because tests are imported with ``--import-mode=importlib``).

Failing tests leave a screenshot in ``test-results/`` (``--screenshot only-on-failure`` is the
default here; pass ``--screenshot on|off`` to change it).
"""

from __future__ import annotations

import dataclasses
import random
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, Response
from werkzeug.serving import make_server

from learnapp.auth.models import Role, User
from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course
from learnapp.certificates.models import Certificate
from learnapp.extensions import db as _db
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle
from learnapp.quizzes import services as quizzes
from learnapp.quizzes.questions import best_answer

CHROMIUM = Path("/usr/bin/chromium")
E2E_DIR = Path(__file__).resolve().parent

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

#: The password of every account made by the ``account`` fixture.
E2E_PASSWORD = "correct horse battery staple e2e"


# --- collection: marker, skip, artifacts -----------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    # Keep a screenshot of every failing browser test in test-results/ (pytest-playwright's
    # --screenshot/--output); an explicit --screenshot on the command line wins.
    args = [str(arg) for arg in config.invocation_params.args]
    if not any(arg.startswith("--screenshot") for arg in args) and hasattr(
        config.option, "screenshot"
    ):
        config.option.screenshot = "only-on-failure"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = None
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(
            reason=f"{CHROMIUM} is not installed: browser tests skipped "
            "(install Debian's chromium, e.g. `make browser`; no browser is downloaded)"
        )
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)


# --- browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options, pointed at Debian's Chromium (never a download)."""
    headless = browser_type_launch_args.get("headless", True)  # False with --headed
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": headless,
        "args": [arg for arg in CHROMIUM_ARGS if headless or arg != "--headless"],
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """Replaces pytest-playwright's ``base_url`` (``--base-url``): pages use ``live_server``.

    The plugin's own fixture is an instance method of a plugin class, which pytest 9 reports
    with PytestRemovedIn10Warning, an error under this project's ``filterwarnings = error``.
    """
    return None


@pytest.fixture
def viewport() -> str:
    """The window size for ``page``; parametrize ``viewport`` with "desktop" and/or "phone"."""
    return "desktop"


@pytest.fixture
def browser_context_args(
    browser_context_args: dict[str, Any], live_server: str, viewport: str
) -> dict[str, Any]:
    return {**browser_context_args, **VIEWPORTS[viewport], "base_url": live_server}


# --- live server --------------------------------------------------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test ``app`` (and its test database) on a free port; yields the base URL.

    CSRF protection is switched on: the browser posts real forms with their tokens.
    """
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Handler threads may sit on a browser's keep-alive connection: never wait for them.
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclasses.dataclass(frozen=True)
class Account:
    id: int
    email: str
    display_name: str
    role: str
    password: str = E2E_PASSWORD


@pytest.fixture
def account(make_user: Callable[..., User]) -> Callable[..., Account]:
    """``account(role=..., email=..., display_name=...)``: a committed user as plain values.

    The test thread's session is left without an open transaction, so it holds no SQLite lock
    while the server thread writes.
    """

    def make(**fields: Any) -> Account:
        user = make_user(**{"password": E2E_PASSWORD, **fields})
        values = Account(
            id=user.id, email=user.email, display_name=user.display_name, role=str(user.role)
        )
        _db.session.commit()  # ends the read transaction the attribute loads began
        return values

    return make


@pytest.fixture
def student_account(account: Callable[..., Account]) -> Account:
    return account(email="student@example.com", display_name="Sam Student")


@pytest.fixture
def admin_account(account: Callable[..., Account]) -> Account:
    return account(email="admin@example.com", role=Role.ADMIN, display_name="Ada Admin")


# --- console and CSP guard ----------------------------------------------------------------------

CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__learnappCspViolation({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""

_DOCUMENT_STATUS = re.compile(
    r"^Failed to load resource: the server responded with a status of (\d+)"
)


class ConsoleGuard:
    """Collects console errors, uncaught page errors and CSP violations of one browser context.

    A CSP violation means an inline script or style (or a foreign resource) crept in.
    The browser's own "Failed to load resource" line for a *document* deliberately answered
    with an error status (a 404 page) is not counted; for any other resource it is.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._documents: set[tuple[str, int]] = set()

    def on_response(self, response: Response) -> None:
        if response.request.is_navigation_request() and response.status >= 400:
            self._documents.add((response.url, response.status))

    def on_console(self, message: ConsoleMessage) -> None:
        # Chromium words CSP reports "Refused to ..." (older) or "... violates the following
        # Content Security Policy directive ..." (newer); either counts whatever its level.
        is_csp = "Content Security Policy" in message.text or "Refused to" in message.text
        if message.type not in ("error", "assert") and not is_csp:
            return
        match = _DOCUMENT_STATUS.match(message.text)
        url = message.location.get("url", "")
        if match and (url, int(match.group(1))) in self._documents:
            return
        self.errors.append(f"console.{message.type}: {message.text} ({url})")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught page error: {error}")

    def on_csp_violation(self, violation: dict[str, Any]) -> None:
        self.errors.append(
            "CSP violation: {directive} blocked {blocked!r} in {source}:{line} {sample!r}".format(
                **violation
            )
        )

    def assert_clean(self) -> None:
        errors, self.errors = self.errors, []
        assert not errors, "browser reported errors:\n" + "\n".join(errors)


@pytest.fixture
def console_guard() -> ConsoleGuard:
    return ConsoleGuard()


@pytest.fixture
def page(page: Page, console_guard: ConsoleGuard, request: pytest.FixtureRequest) -> Iterator[Page]:
    """pytest-playwright's page; the test fails if the browser logged errors or CSP violations."""
    context = page.context
    context.expose_function("__learnappCspViolation", console_guard.on_csp_violation)
    context.add_init_script(CSP_LISTENER)
    page.on("console", console_guard.on_console)
    page.on("pageerror", console_guard.on_page_error)
    page.on("response", console_guard.on_response)
    yield page
    if not page.is_closed():
        page.evaluate("() => 0")  # a round trip, so events still in flight are delivered
    call = getattr(request.node, "rep_call", None)  # set by pytest-playwright's report hook
    if call is not None and call.failed:
        if console_guard.errors:  # shown with the failure, without a second (teardown) error
            print("browser reported errors:", *console_guard.errors, sep="\n")
        return
    console_guard.assert_clean()


# --- helpers ------------------------------------------------------------------------------------

_AXE = Axe()


def axe_violations(page: Page, context: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0-2.2 A/AA rules) on the page as it is now; return the violations."""
    page.evaluate(_AXE.axe_script)  # DevTools evaluation: not subject to the page's CSP
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = page.evaluate(
        "([context, options]) => axe.run(context ?? document, options)", [context, options]
    )
    return list(results["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl']}]"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def assert_accessible(page: Page, context: str | dict[str, Any] | None = None) -> None:
    """Fail listing every axe violation (id, impact, help, nodes) on the current page."""
    violations = axe_violations(page, context)
    assert not violations, (
        f"{len(violations)} accessibility violation(s) on {page.url}:\n"
        + format_violations(violations)
    )


def has_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.scrollingElement.scrollWidth > window.innerWidth"))


@pytest.fixture(name="assert_accessible")
def assert_accessible_fixture() -> Callable[..., None]:
    """``assert_accessible(page, context=None)`` for tests (helpers are handed out as fixtures
    so that no test imports from a conftest)."""
    return assert_accessible


@pytest.fixture(name="axe_violations")
def axe_violations_fixture() -> Callable[..., list[dict[str, Any]]]:
    return axe_violations


@pytest.fixture(name="has_horizontal_scroll")
def has_horizontal_scroll_fixture() -> Callable[[Page], bool]:
    return has_horizontal_scroll


# --- the shipped NMT course with a class of students (journeys, page types, screenshots) -------

COURSES = E2E_DIR.parents[1] / "courses"


@dataclasses.dataclass(frozen=True)
class NmtClass:
    """What :func:`nmt_class` made: accounts as plain values and the graduate's certificate."""

    instructor: Account
    students: list[Account]
    graduate: Account
    certificate_id: str


def _submit_by_services(user: User, quiz: Any, rnd: Any, right: float) -> None:
    """Start and submit an attempt whose answers are right with probability ``right``."""
    attempt = lifecycle.start_attempt(user, quiz)
    for answer in attempt.answers:
        if rnd.random() < right:
            answer.response = best_answer(
                quizzes.question_spec(answer.question_id, answer.question_hash)
            )
    lifecycle.submit_attempt(attempt)
    _db.session.commit()


@pytest.fixture
def nmt_course(app: Flask) -> Any:
    """Serve the real courses folder; returns the NMT course row.

    The test thread's transaction is ended before the test starts (as in ``account``): an open
    read would hold SQLite's lock while the server thread writes.
    """
    app.config["COURSES_DIR"] = str(COURSES)
    report = catalog.sync_courses()
    _db.session.commit()
    assert report.ok, report.problems
    course = _db.session.scalar(_db.select(Course).filter_by(slug="nmt"))
    _db.session.commit()
    return course


@pytest.fixture
def nmt_class(nmt_course: Any, account: Callable[..., Account]) -> NmtClass:
    """The NMT course's instructor (named in courses/nmt/course.md), twelve students with
    graded module 1 quiz attempts (varied answers, enough for item analysis flags), and one
    graduate who finished the whole course (through services) and holds its certificate."""
    rnd = random.Random(8)
    course = nmt_course
    instructor = account(
        email="instructor@example.com", role=Role.INSTRUCTOR, display_name="Ivy Instructor"
    )
    names = [
        "Ana Alves",
        "Ben Bauer",
        "Chloé Dubois",
        "Dev Patel",
        "Eva Nowak",
        "Femi Okafor",
        "Gao Lin",
        "Hana Sato",
        "Ian Walsh",
        "Júlia Costa",
        "Kofi Mensah",
        "Lena Berg",
    ]
    module_1 = catalog.get_quiz(course, "nmt-m1-quiz")
    students = []
    for n, name in enumerate(names):
        student = account(email=f"student{n + 1}@example.com", display_name=name)
        user = _db.session.get(User, student.id)
        progress.enroll(user, course)
        for lesson in catalog.course_outline(course)[0].lessons[: 1 + n % 3]:
            progress.complete_lesson(user, course, lesson)
        _db.session.commit()
        _submit_by_services(user, module_1, rnd, right=0.3 + 0.05 * n)
        students.append(student)

    graduate = account(email="graduate@example.com", display_name="Grace Graduate")
    user = _db.session.get(User, graduate.id)
    modules = catalog.course_outline(course)
    for module in modules:
        for lesson in module.lessons:
            progress.complete_lesson(user, course, lesson)
    _db.session.commit()
    for module in modules:
        for quiz in module.quizzes:
            _submit_by_services(user, quiz, rnd, right=1.0)
    # The last submit's completion step issued it.
    certificate = _db.session.scalar(
        _db.select(Certificate).filter_by(user_id=user.id, course_id=course.id)
    )
    assert certificate is not None, "the graduate did not complete the course"
    public_id = certificate.public_id
    _db.session.commit()
    return NmtClass(instructor, students, graduate, public_id)


# --- shared steps -------------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def log_in(page: Page, account: Account) -> None:
    """Log in by posting the real login form from the page's context (shares its cookies)."""
    token = CSRF_INPUT.search(page.request.get("/login").text())
    assert token, "no CSRF token on /login"
    response = page.request.post(
        "/login",
        form={"csrf_token": token.group(1), "email": account.email, "password": account.password},
        max_redirects=0,
    )
    assert response.status == 302, response.text()


@pytest.fixture(name="log_in")
def log_in_fixture() -> Callable[[Page, Account], None]:
    """``log_in(page, account)``."""
    return log_in


@pytest.fixture
def synced_courses(app: Flask) -> None:
    """The fixture courses of ``tests/data/courses``, synced (use with ``usefixtures``)."""
    from learnapp.catalog import services

    report = services.sync_courses()
    _db.session.commit()
    assert report.ok, report.problems
