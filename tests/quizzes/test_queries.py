"""Attempt pages run a fixed number of SQL statements, however many questions the attempt has.

The question version of every answer is loaded for the whole attempt in one query
(``services.question_specs``), not one query per answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, event

from learnapp.catalog.models import QuestionVersion
from learnapp.quizzes import services
from learnapp.quizzes.models import QuizAttempt

START = "/courses/basics/quizzes/basics-quiz/attempts"


def _statements(db, send: Callable[[], Any]) -> tuple[Any, list[str]]:
    """What ``send()`` returns (a response is read to the end) and the SQL it ran."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = send()
        if hasattr(result, "get_data"):
            result.get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, seen


def _start(client, db) -> QuizAttempt:
    response = client.post(START)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.commit()
    return db.session.get(QuizAttempt, int(response.headers["Location"].rsplit("/", 1)[1]))


def _counts(client, db, attempt_form, all_correct) -> dict[str, Any]:
    """Statements per request for one attempt, every question answered right."""
    attempt = _start(client, db)
    path = f"/attempts/{attempt.id}"
    counts: dict[str, Any] = {"questions": len(attempt.answers)}

    form = attempt_form(attempt, all_correct)  # built outside the counted request
    response, seen = _statements(db, lambda: client.post(f"{path}/autosave", data=form))
    assert response.status_code == 200
    assert response.json["saved"] is True
    counts["autosave"] = len(seen)

    form = attempt_form(attempt, all_correct, action="save")
    response, seen = _statements(db, lambda: client.post(path, data=form))
    assert response.status_code == 302
    counts["save"] = len(seen)

    response, seen = _statements(db, lambda: client.get(path))
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="question-block"') == counts["questions"]
    counts["take"] = len(seen)

    response, seen = _statements(db, lambda: client.post(f"{path}/submit"))
    assert response.headers["Location"] == f"{path}/review"
    # Grading writes answers in executemany batches grouped by changed columns, so only the
    # reads must stay fixed here.
    counts["submit reads"] = sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))

    response, seen = _statements(db, lambda: client.get(f"{path}/review"))
    assert response.status_code == 200
    counts["review"] = len(seen)

    db.session.commit()
    answers = db.session.get(QuizAttempt, attempt.id).answers
    assert all(a.points == a.max_points for a in answers)  # saved, then graded right
    return counts


def test_attempt_queries_do_not_grow_with_questions(
    client, db, quiz, set_quiz, make_user, login, attempt_form, all_correct
):
    """A 2-question attempt and a 7-question one, all on one page, run the same statements."""
    set_quiz(per_page=0, draw=2)
    login(make_user())
    small = _counts(client, db, attempt_form, all_correct)
    set_quiz(per_page=0, draw=None)
    login(make_user())
    large = _counts(client, db, attempt_form, all_correct)
    assert (small.pop("questions"), large.pop("questions")) == (2, 7)
    assert small == large
    # Before the batch load: autosave and save 9 + one per question, take 7 + one per question.
    assert large["autosave"] <= 12
    assert large["save"] <= 12
    assert large["take"] <= 10


def test_question_specs_loads_every_version_in_one_query(app, client, db, quiz, make_user, login):
    login(make_user())
    attempt = _start(client, db)
    pairs = [(a.question_id, a.question_hash) for a in attempt.answers]
    expected = {pair: services.question_spec(*pair) for pair in pairs}
    app.extensions.pop("learnapp_question_versions", None)  # a process that has seen none

    found, seen = _statements(db, lambda: services.question_specs(pairs))
    assert len([s for s in seen if s.startswith("SELECT")]) == 1
    assert found == expected
    assert len(found) == 7
    assert services.question_specs([]) == {}
    # A stored version never changes: the process parses it once and asks no more.
    again, seen = _statements(db, lambda: services.question_specs(pairs))
    assert [s for s in seen if s.startswith("SELECT")] == []
    assert again == expected


def test_question_specs_falls_back_to_the_current_version(app, client, db, quiz, make_user, login):
    """Versions are written at sync; without one, the question's current spec is used."""
    login(make_user())
    attempt = _start(client, db)
    pairs = [(a.question_id, a.question_hash) for a in attempt.answers]
    expected = services.question_specs(pairs)
    db.session.execute(delete(QuestionVersion).where(QuestionVersion.question_id == pairs[0][0]))
    db.session.commit()
    app.extensions.pop("learnapp_question_versions", None)  # a process that has seen none

    found, seen = _statements(db, lambda: services.question_specs(pairs))
    assert len([s for s in seen if s.startswith("SELECT")]) == 2
    assert found == expected


#: SQL statements of one save of a whole page (BEGIN and COMMIT not counted, as bench counts):
#: the student, the attempt, its answers and their question versions, the claim of the page's
#: sequence number (an UPDATE ... RETURNING) and one batch of answer UPDATEs.
SAVE_BUDGET = 5


def _is_transaction_control(statement: str) -> bool:
    return statement.strip().upper().split(" ", 1)[0] in {"BEGIN", "COMMIT", "ROLLBACK"}


def test_a_save_runs_within_its_statement_budget(
    client, db, quiz, set_quiz, make_user, login, attempt_form, all_correct, sql_statements
):
    """Autosave and the page's save button, seven questions answered at once."""
    set_quiz(per_page=0, draw=None)
    login(make_user())
    attempt = _start(client, db)
    path = f"/attempts/{attempt.id}"
    for url, action in ((f"{path}/autosave", None), (path, "save")):
        extra = {"action": action} if action else {}
        form = attempt_form(attempt, all_correct, **extra)
        with sql_statements() as seen:
            response = client.post(url, data=form)
            response.get_data()
        assert response.status_code in (200, 302), response.get_data(as_text=True)
        counted = [s for s in seen if not _is_transaction_control(s)]
        assert len(counted) <= SAVE_BUDGET, counted
    db.session.commit()
    answers = db.session.get(QuizAttempt, attempt.id).answers
    assert all(a.response is not None for a in answers)
