"""Question reports: students send them from the attempt and review pages (only on their own
attempts, one open report per question), instructors of the course list, close and reopen
them (audit-logged), and nobody else sees them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from learnapp.audit.models import AuditEvent
from learnapp.catalog.models import Question
from learnapp.extensions import db
from learnapp.quizzes import lifecycle
from learnapp.reports import services
from learnapp.reports.models import COMMENT_MAX, QuestionReport


def answer_for(attempt, slug):
    return next(a for a in attempt.answers if db.session.get(Question, a.question_id).slug == slug)


def report_url(attempt):
    return f"/attempts/{attempt.id}/reports"


def report_data(answer, reason="key", comment="B is right.", **extra):
    return {"answer": str(answer.id), "reason": reason, "comment": comment, **extra}


def count_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionReport))


@pytest.fixture
def reviewed(submit, student):
    """A submitted attempt of ``student``."""
    return submit(student, {"q-single": "b"})


@pytest.fixture
def filed(reviewed, student):
    """An open report of ``student`` on q-single."""
    answer = answer_for(reviewed, "q-single")
    report = services.file_report(student, reviewed, answer, "key", "I think B is right.")
    db.session.commit()
    return report


# --- students -----------------------------------------------------------------------------


def test_student_reports_a_question_from_the_review_page(client, login, student, reviewed):
    login(student)
    page = client.get(f"/attempts/{reviewed.id}/review").get_data(as_text=True)
    answer = answer_for(reviewed, "q-single")
    number = answer.position + 1
    assert f"Report a problem with question {number}" in page
    assert f'action="{report_url(reviewed)}"' in page
    assert f'name="answer" value="{answer.id}"' in page
    response = client.post(
        report_url(reviewed), data=report_data(answer, comment="  B is right.  ")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/attempts/{reviewed.id}/review#answer-{answer.id}"
    )
    report = db.session.scalar(select(QuestionReport))
    assert (report.user_id, report.attempt_id, report.question_id) == (
        student.id,
        reviewed.id,
        answer.question_id,
    )
    assert (report.reason, report.comment, report.status) == ("key", "B is right.", "open")
    assert report.question_hash == answer.question_hash
    page = client.get(f"/attempts/{reviewed.id}/review").get_data(as_text=True)
    assert f"your report on question {number} was received" in page.lower()
    assert f"Report a problem with question {number}" not in page  # one open report at a time


def test_student_reports_from_the_attempt_page_and_returns_to_it(
    client, login, student, quiz, set_quiz
):
    set_quiz(per_page=2)
    attempt = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    answer = attempt.answers[4]  # the fifth question: page 3 with two per page
    login(student)
    page = client.get(f"/attempts/{attempt.id}?page=3").get_data(as_text=True)
    # One report form after the attempt form (forms cannot nest), for this page's questions.
    after = page[page.index("</form>", page.index('class="attempt-form"')) :]
    assert f'<form method="post" action="{report_url(attempt)}" data-report-form>' in after
    assert re.findall(r'<option value="(\d+)">Question (\d+)</option>', after) == [
        (str(a.id), str(a.position + 1)) for a in attempt.answers[4:6]
    ]
    response = client.post(report_url(attempt), data=report_data(answer, "unclear", "?"))
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}?page=3#question-reports")
    assert count_reports() == 1
    page = client.get(f"/attempts/{attempt.id}?page=3").get_data(as_text=True)
    assert "You reported a problem with question 5" in page
    # Only the question not reported yet is offered.
    after = page[page.index("</form>", page.index('class="attempt-form"')) :]
    assert re.findall(r'<option value="(\d+)">Question (\d+)</option>', after) == [
        (str(attempt.answers[5].id), "6")
    ]


def test_duplicate_open_report_is_refused(client, login, student, reviewed, filed):
    login(student)
    answer = answer_for(reviewed, "q-single")
    response = client.post(report_url(reviewed), data=report_data(answer, comment="Again"))
    assert response.status_code == 302
    assert count_reports() == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "already reported this question" in page


def test_a_new_report_is_possible_once_the_old_one_is_closed(
    client, login, student, reviewed, filed, instructor
):
    services.close_report(filed, instructor, "Fixed the key, thanks.")
    db.session.commit()
    login(student)
    page = client.get(f"/attempts/{reviewed.id}/review").get_data(as_text=True)
    assert "was closed by an instructor with this note: “Fixed the key, thanks.”" in page
    answer = answer_for(reviewed, "q-single")
    client.post(report_url(reviewed), data=report_data(answer, "other", "Still odd"))
    assert count_reports() == 2


def test_parallel_posts_make_one_open_report(client, login, student, reviewed, threaded_server):
    """Ten tabs send the same report at once: one row, the others are told it exists."""
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    login(student)
    url = threaded_server + report_url(reviewed)
    body = urllib.parse.urlencode(report_data(answer_for(reviewed, "q-single"))).encode()
    cookie = f"session={client.get_cookie('session').value}"
    db.session.commit()
    opener = urllib.request.build_opener(NoRedirect)
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def one() -> None:
        request = urllib.request.Request(  # noqa: S310 - the test server on 127.0.0.1
            url, data=body, method="POST", headers={"Cookie": cookie}
        )
        barrier.wait()
        try:
            with opener.open(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [302] * 10
    assert count_reports() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "key", "comment": "   "}, "was not sent"),
        ({"reason": "nonsense", "comment": "Hi"}, "was not sent"),
        ({"reason": "key", "comment": "x" * (COMMENT_MAX + 1)}, "was not sent"),
    ],
)
def test_invalid_reports_are_refused_with_a_message(
    client, login, student, reviewed, data, message
):
    login(student)
    answer = answer_for(reviewed, "q-single")
    response = client.post(report_url(reviewed), data={"answer": str(answer.id), **data})
    assert count_reports() == 0
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)


def test_no_report_on_someone_elses_attempt(client, login, make_user, reviewed):
    login(make_user(email="intruder@example.com"))
    response = client.post(report_url(reviewed), data=report_data(answer_for(reviewed, "q-single")))
    assert response.status_code == 404
    assert count_reports() == 0


def test_no_report_with_an_answer_of_another_attempt(client, login, student, submit, reviewed):
    other = submit(student, {"q-single": "a"})
    login(student)
    foreign = answer_for(other, "q-single")
    response = client.post(report_url(reviewed), data=report_data(foreign))
    assert response.status_code == 404
    assert (
        client.post(report_url(reviewed), data={"reason": "key", "comment": "x"}).status_code == 404
    )


def test_anonymous_is_sent_to_log_in(client, reviewed):
    response = client.post(report_url(reviewed), data=report_data(answer_for(reviewed, "q-single")))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- instructors --------------------------------------------------------------------------

COURSE_URL = "/instruct/courses/basics/reports"
QUESTION_URL = "/instruct/courses/basics/questions/q-single/reports"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("student", 403),
        ("other_instructor", 404),
        ("instructor", 200),
        ("admin", 200),
    ],
)
@pytest.mark.parametrize("url", [COURSE_URL, QUESTION_URL])
def test_who_may_read_reports(client, login, principals, filed, url, who, status):
    if principals[who] is not None:
        login(principals[who])
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert "I think B is right." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("student", 403),
        ("other_instructor", 404),
        ("instructor", 302),
        ("admin", 302),
    ],
)
def test_who_may_close_a_report(client, login, principals, filed, who, status):
    if principals[who] is not None:
        login(principals[who])
    response = client.post(f"{COURSE_URL}/{filed.id}/close", data={f"r{filed.id}-note": "ok"})
    assert response.status_code == status
    db.session.refresh(filed)
    assert filed.is_open is (status != 302 or who == "anonymous")


def test_question_page_shows_statistics_next_to_reports(client, login, instructor, filed):
    login(instructor)
    page = client.get(QUESTION_URL + "?attempts=all").get_data(as_text=True)
    assert "<caption>Statistics of this question</caption>" in page
    assert "<caption>Choices picked in question 1 (1 attempt)</caption>" in page
    assert page.index("Statistics of this question") < page.index("I think B is right.")
    assert "Sam Student" in page


def test_analysis_page_counts_reports_per_question(client, login, instructor, filed):
    login(instructor)
    page = client.get("/instruct/courses/basics/quizzes/basics-quiz/analysis").get_data(
        as_text=True
    )
    row = re.search(r'id="stats-q-single".*?</tr>', page, re.S).group(0)
    assert "1 / 1" in row
    assert "/instruct/courses/basics/questions/q-single/reports" in row


def test_instructor_closes_and_reopens_with_a_note(client, login, instructor, filed, student):
    login(instructor)
    prefix = f"r{filed.id}"
    response = client.post(
        f"{COURSE_URL}/{filed.id}/close",
        data={f"{prefix}-note": "Key fixed in version 2.", f"{prefix}-back": "question"},
    )
    assert response.headers["Location"].endswith(f"{QUESTION_URL}#report-{filed.id}")
    db.session.refresh(filed)
    assert (filed.status, filed.note, filed.noted_by_id) == (
        "closed",
        "Key fixed in version 2.",
        instructor.id,
    )
    assert filed.closed_at is not None
    # Closing twice changes nothing and says so.
    response = client.post(f"{COURSE_URL}/{filed.id}/close", data={f"{prefix}-note": "again"})
    assert "already closed" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(filed)
    assert filed.note == "Key fixed in version 2."

    response = client.post(
        f"{COURSE_URL}/{filed.id}/reopen", data={f"{prefix}-note": "Not fixed yet."}
    )
    assert response.headers["Location"].endswith(f"{COURSE_URL}#report-{filed.id}")
    db.session.refresh(filed)
    assert (filed.status, filed.note, filed.closed_at) == ("open", "Not fixed yet.", None)

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("question_report.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.target_type, e.target_id) for e in events] == [
        ("question_report.closed", instructor.id, "question_reports", str(filed.id)),
        ("question_report.reopened", instructor.id, "question_reports", str(filed.id)),
    ]
    assert events[0].details["note"] == "Key fixed in version 2."


def test_reopen_refused_when_the_student_has_a_newer_open_report(
    client, login, instructor, filed, student, reviewed
):
    services.close_report(filed, instructor, "")
    newer = services.file_report(
        student, reviewed, answer_for(reviewed, "q-single"), "other", "New problem"
    )
    db.session.commit()
    login(instructor)
    response = client.post(f"{COURSE_URL}/{filed.id}/reopen", data={})
    assert "newer open report" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(filed)
    db.session.refresh(newer)
    assert (filed.status, newer.status) == ("closed", "open")


def test_overlong_note_is_refused(client, login, instructor, filed):
    login(instructor)
    client.post(f"{COURSE_URL}/{filed.id}/close", data={f"r{filed.id}-note": "x" * 1001})
    db.session.refresh(filed)
    assert filed.is_open


def test_reports_of_a_missing_report_or_question_are_404(client, login, admin, filed):
    login(admin)
    assert client.post(f"{COURSE_URL}/999999/close", data={}).status_code == 404
    assert client.get("/instruct/courses/basics/questions/nope/reports").status_code == 404
    assert client.get("/instruct/courses/nope/reports").status_code == 404


def test_course_list_filters_by_status_and_paginates(client, login, instructor, submit, make_user):
    for n in range(services.PAGE_SIZE + 2):
        user = make_user(email=f"r{n}@example.com")
        attempt = submit(user, {})
        report = services.file_report(
            user, attempt, answer_for(attempt, "q-single"), "typo", f"Typo {n}"
        )
        if n < 2:
            services.close_report(report, instructor, "")
    db.session.commit()
    login(instructor)
    open_page = client.get(COURSE_URL).get_data(as_text=True)
    assert f"{services.PAGE_SIZE} open reports." in open_page
    assert "Page 1 of 1" not in open_page
    assert "Typo 0<" not in open_page
    closed = client.get(COURSE_URL + "?status=closed").get_data(as_text=True)
    assert "2 closed reports." in closed
    assert "Typo 1</blockquote>" in closed
    every = client.get(COURSE_URL + "?status=all&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in every


def test_course_list_takes_a_constant_number_of_queries(
    client, login, instructor, submit, make_user, sql_statements
):
    def queries() -> int:
        with sql_statements() as seen:
            assert client.get(COURSE_URL + "?status=all").status_code == 200
        return len(seen)

    def add(n):
        user = make_user(email=f"q{n}@example.com")
        attempt = submit(user, {})
        report = services.file_report(user, attempt, answer_for(attempt, "q-single"), "typo", "t")
        services.close_report(report, instructor, "n")
        db.session.commit()

    login(instructor)
    add(0)
    few = queries()
    for n in range(1, 6):
        add(n)
    assert queries() == few


def test_no_report_from_a_discarded_attempt(client, login, student, reviewed):
    reviewed.status = "discarded"  # an instructor discarded it: hidden from the student
    db.session.commit()
    login(student)
    response = client.post(report_url(reviewed), data=report_data(answer_for(reviewed, "q-single")))
    assert response.status_code == 404
    assert count_reports() == 0


def test_report_text_is_escaped_for_instructors(client, login, instructor, student, reviewed):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report = services.file_report(
        student, reviewed, answer_for(reviewed, "q-single"), "other", payload
    )
    services.close_report(report, instructor, payload)
    db.session.commit()
    login(instructor)
    for url in (COURSE_URL + "?status=all", QUESTION_URL):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    login(student)
    page = client.get(f"/attempts/{reviewed.id}/review").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
