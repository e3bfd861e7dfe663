"""The item analysis page: who may see it, the figures it shows from real attempts, its charts
and text alternatives, and a constant number of queries."""

from __future__ import annotations

import re

import pytest

from learnapp.analysis import services
from learnapp.catalog.models import Question
from learnapp.extensions import db
from learnapp.quizzes import lifecycle

URL = "/instruct/courses/basics/quizzes/basics-quiz/analysis"


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
def test_who_may_see_the_item_analysis(client, login, quiz, principals, who, status):
    if principals[who] is not None:
        login(principals[who])
    response = client.get(URL)
    assert response.status_code == status
    if who == "anonymous":
        assert response.headers["Location"].startswith("/login?next=")


def test_unknown_course_and_quiz_are_404(client, login, quiz, instructor, admin):
    login(admin)
    assert client.get("/instruct/courses/nope/quizzes/basics-quiz/analysis").status_code == 404
    assert client.get("/instruct/courses/basics/quizzes/nope/analysis").status_code == 404


def test_an_assigned_instructor_may_see_it(client, login, quiz, make_user):
    from learnapp.catalog import services as catalog
    from learnapp.catalog.models import Course

    assigned = make_user(email="assigned@example.com", role="instructor")
    catalog.assign_instructor(
        db.session.scalar(db.select(Course).filter_by(slug="basics")), assigned
    )
    db.session.commit()
    login(assigned)
    assert client.get(URL).status_code == 200


def test_empty_quiz_says_there_are_no_attempts(client, login, quiz, instructor):
    login(instructor)
    page = client.get(URL).get_data(as_text=True)
    assert "No submitted attempts yet" in page
    assert "n/a" in page


def test_choice_counts_map_stored_answers_to_real_choices(quiz, submit, make_user):
    """Answers are stored with the real choice ids (the view's per-attempt tokens are mapped
    back before saving), whatever order the choices were shown in."""
    for n, choice in enumerate(["a", "a", "b"]):
        submit(make_user(email=f"s{n}@example.com"), {"q-single": choice, "q-true-false": n == 0})
    result = services.quiz_analysis(quiz, "all")
    single = next(q for q in result.questions if q.question.slug == "q-single")
    assert [(c.choice.label, c.choice.is_correct, c.count) for c in single.choices] == [
        ("An id", True, 2),
        ("A colour", False, 1),
    ]
    assert single.facility == pytest.approx(200 / 3)
    tf = next(q for q in result.questions if q.question.slug == "q-true-false")
    assert [(c.choice.id, c.choice.is_correct, c.count) for c in tf.choices] == [
        ("true", False, 1),
        ("false", True, 2),
    ]


def test_answers_posted_with_view_tokens_are_counted_as_their_choice(
    client, login, quiz, make_user, instructor
):
    """Through the real attempt form: the student posts the opaque token of "A colour"."""
    from learnapp.quizzes import services as quizzes
    from learnapp.quizzes.questions import QUESTION_TYPES

    student = make_user(email="tokens@example.com")
    attempt = lifecycle.start_attempt(student, quiz)
    db.session.commit()
    answer = next(
        a for a in attempt.answers if db.session.get(Question, a.question_id).slug == "q-single"
    )
    spec = quizzes.question_spec(answer.question_id, answer.question_hash)
    token = QUESTION_TYPES["single"].answer_to_view(spec, answer.option_order, "b")
    assert re.fullmatch(r"o\d", token)
    login(student)
    client.post(
        f"/attempts/{attempt.id}",
        data={
            "attempt_token": quizzes.attempt_token(attempt),
            "sequence": str(attempt.sequence),
            "page": "1",
            f"q_{answer.id}": token,
            f"q_{answer.id}_shown": "1",
            "action": "finish",
        },
    )
    client.post(f"/attempts/{attempt.id}/submit")
    result = services.quiz_analysis(quiz, "all")
    single = next(q for q in result.questions if q.question.slug == "q-single")
    assert {c.choice.label: c.count for c in single.choices} == {"An id": 0, "A colour": 1}


def test_page_shows_figures_charts_and_tables(client, login, quiz, submit, make_user, instructor):
    submit(make_user(), {"q-single": "a", "q-multiple": ["a", "b"], "q-true-false": False})
    submit(make_user(), {"q-single": "b", "q-multiple": ["c"], "q-true-false": True})
    login(instructor)
    page = client.get(URL + "?attempts=all").get_data(as_text=True)
    # Three SVG charts kinds, each an image with a title and a description.
    svgs = re.findall(r"<svg [^>]*>", page)
    assert len(svgs) == 2 + 3  # histogram, facility, one per choice question
    for svg in svgs:
        assert 'role="img"' in svg
        assert "aria-labelledby=" in svg
    assert page.count("<title id=") == 5
    assert page.count("<desc id=") == 5
    # The text alternatives: the tables of the same figures.
    assert "<caption>Attempts per score band</caption>" in page
    assert "<caption>Statistics per question</caption>" in page
    assert "<caption>Choices picked in question 1 (2 attempts)</caption>" in page
    # q-single: one right of two, so 50.0 %; q-numeric was never answered: 0.0 %.
    row = re.search(r'id="stats-q-single".*?</tr>', page, re.S).group(0)
    assert "50.0%" in row
    assert "style=" not in page
    assert "<script>" not in page


def test_selection_of_attempts(client, login, quiz, submit, make_user, instructor):
    student = make_user()
    submit(student, {"q-single": "b"})
    submit(student, {"q-single": "a"})
    login(instructor)
    first = client.get(URL + "?attempts=first").get_data(as_text=True)
    assert re.search(r"Attempts counted</dt><dd>1 \(first attempt", first)
    every = client.get(URL + "?attempts=all").get_data(as_text=True)
    assert re.search(r"Attempts counted</dt><dd>2 \(all submitted", every)
    # The default is the quiz's grading method (highest), and unknown values fall back to it.
    default = client.get(URL + "?attempts=bogus").get_data(as_text=True)
    assert re.search(r"Attempts counted</dt><dd>1 \(highest", default)


def test_open_and_discarded_attempts_do_not_count(quiz, submit, make_user):

    submit(make_user(), {"q-single": "a"})
    lifecycle.start_attempt(make_user(), quiz)  # open
    db.session.commit()
    assert services.quiz_analysis(quiz, "all").attempts == 1


def test_versions_are_combined_and_old_choices_listed(
    quiz, submit, make_user, edit, courses_root, sync
):
    submit(make_user(), {"q-single": "b"})  # "A colour" in the first version
    # A new version: "A colour" is gone, "A name" is new.
    edit(
        "basics/02-more/quiz.md",
        "  - text: A colour\n    feedback: No.",
        "  - text: A name\n    id: n",
    )
    report = sync()
    assert report.ok, report.problems
    submit(make_user(), {"q-single": "a"})
    result = services.quiz_analysis(quiz, "all")
    single = next(q for q in result.questions if q.question.slug == "q-single")
    assert single.versions == 2
    assert [(c.choice.label, c.choice.is_current, c.count) for c in single.choices] == [
        ("An id", True, 1),
        ("A name", True, 0),
        ("A colour", False, 1),
    ]


def test_a_constant_number_of_queries(
    client, login, quiz, submit, make_user, instructor, app, sql_statements
):
    login(instructor)

    def queries() -> int:
        with sql_statements() as seen:
            assert client.get(URL + "?attempts=all").status_code == 200
        return len(seen)

    submit(make_user(), {"q-single": "a"})
    few = queries()
    for _ in range(6):
        submit(make_user(), {"q-single": "b", "q-multiple": ["a"], "q-true-false": True})
    assert queries() == few
    assert few <= 12


def test_instructor_course_page_links_to_the_analysis_and_the_reports(
    client, login, quiz, instructor
):
    login(instructor)
    page = client.get("/instruct/courses/basics").get_data(as_text=True)
    assert f'href="{URL}"' in page
    assert 'href="/instruct/courses/basics/reports"' in page
    analysis = client.get(URL).get_data(as_text=True)
    assert 'href="/instruct/courses/basics"' in analysis  # the breadcrumb and course tools
