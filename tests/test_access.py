"""Route x role matrix: every endpoint is listed with the status each principal gets.

Adding a route without adding it here fails ``test_every_endpoint_is_in_the_policy``.
"""

from __future__ import annotations

import pytest

ROLES = ("anonymous", "student", "instructor", "admin")
OK, REDIRECT, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
NOT_YOURS = {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], NOT_FOUND)

#: endpoint -> (method, path template, {role: expected status})
POLICY: dict[str, tuple[str, str, dict[str, int]]] = {
    "main.index": ("GET", "/", dict.fromkeys(ROLES, OK)),
    "main.healthz": ("GET", "/healthz", dict.fromkeys(ROLES, OK)),
    "main.favicon": ("GET", "/favicon.ico", dict.fromkeys(ROLES, OK)),
    # No LEARNAPP_METRICS_TOKEN configured: the endpoint does not exist (tests/ops).
    "ops.prometheus": ("GET", "/metrics", dict.fromkeys(ROLES, NOT_FOUND)),
    "auth.login": ("GET", "/login", {"anonymous": OK} | dict.fromkeys(ROLES[1:], REDIRECT)),
    "auth.register": ("GET", "/register", {"anonymous": OK} | dict.fromkeys(ROLES[1:], REDIRECT)),
    "auth.logout": ("POST", "/logout", dict.fromkeys(ROLES, REDIRECT)),
    "auth.account": ("GET", "/account", {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK)),
    "auth.reset_password": ("GET", "/reset/unknown-token", dict.fromkeys(ROLES, 404)),
    # The code steps of a login: without a pending login, back to the login form (anonymous)
    # or home (signed in).
    "two_factor.login_code": ("GET", "/login/code", dict.fromkeys(ROLES, REDIRECT)),
    "two_factor.login_recovery": ("GET", "/login/recovery", dict.fromkeys(ROLES, REDIRECT)),
    "two_factor.setup": (
        "GET",
        "/account/two-factor/setup",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK),
    ),
    "two_factor.settings": (
        "GET",
        "/account/two-factor",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK),
    ),
    # Only one's own account; an empty form is refused.
    "two_factor.disable": (
        "POST",
        "/account/two-factor/disable",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], 400),
    ),
    "two_factor.regenerate": (
        "POST",
        "/account/two-factor/recovery-codes",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], 400),
    ),
    "auth.forgot_password": ("GET", "/forgot-password", dict.fromkeys(ROLES, OK)),
    # Verification is off in the matrix: nothing to verify, so back to the site.
    "auth.verify_notice": ("GET", "/verify-email", dict.fromkeys(ROLES, REDIRECT)),
    "auth.resend_verification": ("POST", "/verify-email/resend", dict.fromkeys(ROLES, REDIRECT)),
    "auth.verify_email": ("GET", "/verify-email/unknown-token", dict.fromkeys(ROLES, 404)),
    "mail.preferences": (
        "GET",
        "/account/notifications",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK),
    ),
    # {unsubscribe} is another student's link: whoever holds it may use it, logged in or not.
    "mail.unsubscribe": ("GET", "/unsubscribe/{unsubscribe}", dict.fromkeys(ROLES, OK)),
    "mail.one_click_unsubscribe": (
        "POST",
        "/unsubscribe/{unsubscribe}/one-click",
        dict.fromkeys(ROLES, OK),
    ),
    "admin.users": (
        "GET",
        "/admin/users",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK},
    ),
    "admin.user": (
        "GET",
        "/admin/users/{other}",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK},
    ),
    "admin.set_role": (
        "POST",
        "/admin/users/{other}/role",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": REDIRECT},
    ),
    "admin.set_active": (
        "POST",
        "/admin/users/{other}/active",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": REDIRECT},
    ),
    "admin.reset_two_factor": (
        "POST",
        "/admin/users/{other}/two-factor/reset",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": REDIRECT},
    ),
    "admin.reset_link": (
        "POST",
        "/admin/users/{other}/reset-link",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK},
    ),
    # No course chosen: the admin passes the role check and gets the form back (400).
    "admin.assign_course": (
        "POST",
        "/admin/users/{other}/courses",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": 400},
    ),
    "admin.unassign_course": (
        "POST",
        "/admin/users/{other}/courses/{course}/unassign",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": REDIRECT},
    ),
    "admin.anonymise": (
        "POST",
        "/admin/users/{other}/anonymise",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": REDIRECT},
    ),
    "admin.audit": (
        "GET",
        "/admin/audit",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK},
    ),
    "privacy.page": ("GET", "/privacy", dict.fromkeys(ROLES, OK)),
    # Only one's own data: the URL names nobody, so there is no one else's to ask for.
    "privacy.download": (
        "GET",
        "/account/data",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK),
    ),
    # {certificate} belongs to another student; anyone may verify it, only staff change it.
    "certificates.verify": ("GET", "/certificates/{certificate}", dict.fromkeys(ROLES, OK)),
    "certificates.pdf": (
        "GET",
        "/certificates/{certificate}/certificate.pdf",
        dict.fromkeys(ROLES, OK),
    ),
    "certificates.credential": (
        "GET",
        "/certificates/{certificate}/credential.jwt",
        dict.fromkeys(ROLES, OK),
    ),
    "certificates.issuer": ("GET", "/certificates/issuer", dict.fromkeys(ROLES, OK)),
    "certificates.keys": ("GET", "/certificates/keys.json", dict.fromkeys(ROLES, OK)),
    "certificates.key": ("GET", "/certificates/keys/{kid}", dict.fromkeys(ROLES, OK)),
    "certificates.status_list": ("GET", "/certificates/status", dict.fromkeys(ROLES, OK)),
    # The matrix's instructor does not teach the course: not theirs to revoke.
    "certificates.revoke": (
        "POST",
        "/certificates/{certificate}/revoke",
        NOT_YOURS | {"admin": REDIRECT},
    ),
    "certificates.restore": (
        "POST",
        "/certificates/{certificate}/restore",
        NOT_YOURS | {"admin": REDIRECT},
    ),
    "certificates.reissue": (
        "POST",
        "/certificates/{certificate}/reissue",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": REDIRECT},
    ),
    "certificates.claim": ("POST", "/courses/basics/certificate", dict.fromkeys(ROLES, REDIRECT)),
    "certificates.admin_list": (
        "GET",
        "/admin/certificates",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK},
    ),
    "certificates.award": (
        "GET",
        "/admin/certificates/award",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": FORBIDDEN, "admin": OK},
    ),
    "catalog.catalogue": ("GET", "/courses", dict.fromkeys(ROLES, OK)),
    "catalog.course": ("GET", "/courses/basics", dict.fromkeys(ROLES, OK)),
    "catalog.lesson": ("GET", "/courses/basics/lessons/basics-intro", dict.fromkeys(ROLES, OK)),
    "quizzes.overview": ("GET", "/courses/basics/quizzes/basics-quiz", dict.fromkeys(ROLES, OK)),
    "catalog.asset": (
        "GET",
        "/courses/basics/assets/01-start/images/diagram.png",
        dict.fromkeys(ROLES, OK),
    ),
    "catalog.search_page": ("GET", "/search?q=basics", dict.fromkeys(ROLES, OK)),
    "quizzes.start": (
        "POST",
        "/courses/basics/quizzes/basics-quiz/attempts",
        dict.fromkeys(ROLES, REDIRECT),
    ),
    # {attempt} belongs to another student: nobody else may see or change it.
    "quizzes.take": ("GET", "/attempts/{attempt}", NOT_YOURS),
    "quizzes.summary": ("GET", "/attempts/{attempt}/summary", NOT_YOURS),
    "quizzes.submit": ("POST", "/attempts/{attempt}/submit", NOT_YOURS),
    "quizzes.review": ("GET", "/attempts/{attempt}/review", NOT_YOURS),
    # Saving needs the attempt's own signed token, whoever asks.
    "quizzes.save": ("POST", "/attempts/{attempt}", dict.fromkeys(ROLES, 400)),
    "quizzes.autosave": ("POST", "/attempts/{attempt}/autosave", dict.fromkeys(ROLES, 400)),
    "quizzes.practice": (
        "GET",
        "/practice",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK),
    ),
    "progress.dashboard": (
        "GET",
        "/dashboard",
        {"anonymous": REDIRECT} | dict.fromkeys(ROLES[1:], OK),
    ),
    "progress.enroll": ("POST", "/courses/basics/enroll", dict.fromkeys(ROLES, REDIRECT)),
    "progress.unenroll": ("POST", "/courses/basics/unenroll", dict.fromkeys(ROLES, REDIRECT)),
    "progress.complete": (
        "POST",
        "/courses/basics/lessons/basics-intro/complete",
        dict.fromkeys(ROLES, REDIRECT),
    ),
    # Item analysis and question reports: the matrix's instructor does not teach the course.
    "analysis.quiz": (
        "GET",
        "/instruct/courses/basics/quizzes/basics-quiz/analysis",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": NOT_FOUND, "admin": OK},
    ),
    "reports.course": (
        "GET",
        "/instruct/courses/basics/reports",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": NOT_FOUND, "admin": OK},
    ),
    "reports.question": (
        "GET",
        "/instruct/courses/basics/questions/q-single/reports",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": NOT_FOUND, "admin": OK},
    ),
    # {report} is the other student's open report on their attempt's first question.
    "reports.close": (
        "POST",
        "/instruct/courses/basics/reports/{report}/close",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": NOT_FOUND, "admin": REDIRECT},
    ),
    "reports.reopen": (
        "POST",
        "/instruct/courses/basics/reports/{report}/reopen",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": NOT_FOUND, "admin": REDIRECT},
    ),
    # Only on one's own attempts: {attempt} is the other student's.
    "reports.create": ("POST", "/attempts/{attempt}/reports", NOT_YOURS),
    # Instructor area: instructors and admins only; the matrix's instructor does not teach
    # basics, so its pages are 404 for them (tests/instructor/test_access.py adds the
    # instructor of the course and of another course). {other} is a student of basics (an
    # attempt), {attempt} their open attempt.
    "instructor.index": (
        "GET",
        "/instruct",
        {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": OK, "admin": OK},
    ),
    **{
        f"instructor.{name}": (
            method,
            "/instruct/courses/basics" + path,
            {"anonymous": REDIRECT, "student": FORBIDDEN, "instructor": NOT_FOUND, "admin": status},
        )
        for name, method, path, status in [
            ("course", "GET", "", OK),
            ("sync", "POST", "/sync", REDIRECT),
            ("gradebook", "GET", "/gradebook", OK),
            ("gradebook_csv", "GET", "/gradebook.csv", OK),
            ("attempts_csv", "GET", "/attempts.csv", OK),
            ("student", "GET", "/students/{other}", OK),
            ("allowance", "POST", "/students/{other}/quizzes/basics-quiz/allowance", REDIRECT),
            ("set_score", "POST", "/students/{other}/quizzes/basics-quiz/score", REDIRECT),
            ("clear_score", "POST", "/students/{other}/quizzes/basics-quiz/score/clear", REDIRECT),
            ("reopen", "POST", "/attempts/{attempt}/reopen", REDIRECT),
            ("discard", "POST", "/attempts/{attempt}/discard", REDIRECT),
            ("attempt", "GET", "/attempts/{attempt}", OK),
            ("grading_queue", "GET", "/grading", OK),
            ("grade_attempt", "GET", "/grading/attempts/{attempt}", OK),
            # {answer}: an answer of {attempt}; the admin's empty grade is refused (redirect).
            ("grade_answer", "POST", "/grading/answers/{answer}", REDIRECT),
        ]
    },
}

#: Endpoints outside the matrix, with the reason.
EXEMPT = {"static": "public files"}

FORM_DATA = {
    "admin.set_role": {"role-role": "instructor"},
    "instructor.allowance": {
        "allow-basics-quiz-extra_minutes": "10",
        "allow-basics-quiz-extra_attempts": "1",
        "allow-basics-quiz-reason": "checking access",
    },
    "instructor.set_score": {
        "score-basics-quiz-percent": "80",
        "score-basics-quiz-reason": "checking access",
    },
    "instructor.clear_score": {"clear-basics-quiz-reason": "checking access"},
    "instructor.reopen": {"reopen-basics-quiz-1-reason": "checking access"},
    "instructor.discard": {"discard-basics-quiz-1-reason": "checking access"},
    "certificates.revoke": {"revoke-reason": "checking access"},
    "admin.reset_two_factor": {"two-factor-reason": "lost phone, checked by video call"},
    "admin.anonymise": {
        "anonymise-reason": "asked in writing",
        "anonymise-confirm_email": "other@example.com",
    },
}


def test_every_endpoint_is_in_the_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(EXEMPT) == set(POLICY)


def _matrix_world(make_user, sync, db) -> dict[str, object]:
    """Another student with an open attempt, a certificate and a report: the path arguments."""
    from learnapp.catalog.models import Course, Quiz
    from learnapp.certificates import credentials
    from learnapp.certificates import services as certificates
    from learnapp.mail import notices
    from learnapp.quizzes import lifecycle
    from learnapp.reports import services as reports

    sync()
    other = make_user(email="other@example.com")
    quiz = db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))
    attempt = lifecycle.start_attempt(other, quiz)
    db.session.commit()
    course = db.session.get(Course, quiz.course_id)
    certificate = certificates.award(other, course, reason="access matrix", actor=None)
    report = reports.file_report(other, attempt, attempt.answers[0], "key", "access matrix")
    db.session.commit()
    return {
        "other": other.id,
        "attempt": attempt.id,
        "answer": attempt.answers[0].id,
        "course": quiz.course_id,
        "certificate": certificate.public_id,
        "report": report.id,
        "kid": credentials.thumbprint(certificates.published_keys()[0]),
        "unsubscribe": notices.unsubscribe_token(other, notices.Notice.CERTIFICATE_ISSUED),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_route_role_matrix(client, make_user, login, sync, db, endpoint, role):
    method, template, expected = POLICY[endpoint]
    arguments = _matrix_world(make_user, sync, db)
    if role != "anonymous":
        login(make_user(role=role))
    path = template.format(**arguments)
    with client.open(path, method=method, data=FORM_DATA.get(endpoint, {})) as response:
        status = response.status_code
    assert status == expected[role], f"{method} {path} as {role}"
    if status == REDIRECT and role == "anonymous" and endpoint.startswith("admin."):
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.app_config(TWO_FACTOR_REQUIRED_ROLES="admin,instructor")
@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_staff_without_two_factor_reach_only_its_setup(client, make_user, login, sync, db, role):
    """While two-factor sign-in is required, a staff account that has not set it up is sent to
    the setup page from every route but the setup page, logout and the probes."""
    from learnapp.two_factor.routes import OPEN_WHILE_ENROLLING

    arguments = _matrix_world(make_user, sync, db)
    login(make_user(role=role))
    reached = []
    for endpoint in sorted(set(POLICY) - OPEN_WHILE_ENROLLING):
        method, template, _ = POLICY[endpoint]
        path = template.format(**arguments)
        with client.open(path, method=method, data=FORM_DATA.get(endpoint, {})) as response:
            if response.headers.get("Location") != "/account/two-factor/setup":
                reached.append(f"{method} {path}: {response.status_code}")
    assert reached == []
    assert client.get("/account/two-factor/setup").status_code == OK
    assert client.post("/logout").status_code == REDIRECT


@pytest.mark.parametrize("path", ["/admin/users/999999", "/admin/users/999999/role"])
def test_admin_gets_404_for_missing_users(client, admin, login, path):
    login(admin)
    method = "POST" if path.endswith("role") else "GET"
    assert client.open(path, method=method, data={"role-role": "student"}).status_code == 404


def test_role_change_takes_effect_on_the_next_request(client, make_user, login, db):
    from learnapp.auth import services

    user = make_user(role="admin")
    login(user)
    assert client.get("/admin/users").status_code == OK
    services.set_role(user, "student")
    db.session.commit()
    # The role change ended the session; logging in again gives the new role.
    assert client.get("/admin/users").status_code == REDIRECT
    login(user)
    assert client.get("/admin/users").status_code == FORBIDDEN
