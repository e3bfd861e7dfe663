"""SQL statement budget of the dashboard (BEGIN/COMMIT not counted, as bench counts them)."""

from __future__ import annotations

from learnapp.extensions import db
from learnapp.progress import services as progress
from tests.catalog.test_budgets import statements


def test_dashboard_runs_at_most_5_statements(
    basics, basics_quiz, student, lesson, login, submit_result, sql_statements
):
    progress.complete_lesson(student, basics, lesson("basics-intro"))
    db.session.commit()
    submit_result(student, basics_quiz, 80)
    client = login(student)
    seen = statements(sql_statements, client, "/dashboard")
    assert len(seen) <= 5, seen
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Course basics" in page
    assert "80%" in page
