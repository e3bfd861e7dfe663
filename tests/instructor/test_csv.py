"""CSV exports: streamed, UTF-8 with a BOM, and safe from formula injection."""

from __future__ import annotations

import csv
import io
import secrets
from decimal import Decimal

import pytest

from learnapp.auth.models import User
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.instructor import gradebook as gb
from learnapp.progress.models import Enrollment
from learnapp.quizzes.models import SUBMITTED, QuizAttempt

HOSTILE = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_are_neutralised(text):
    assert gb.csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Zoë Ångström 🙂", "Zoë Ångström 🙂"),
        ("a=b", "a=b"),
        (Decimal("-5.50"), "-5.50"),  # numbers the app writes stay numbers
        (-3, "-3"),
        (None, ""),
        (True, "yes"),
    ],
)
def test_other_cells_are_kept(value, cell):
    assert gb.csv_cell(value) == cell


def test_quotes_commas_and_newlines_are_quoted():
    assert gb.csv_line(['a,"b"', "c\nd"]) == '"a,""b""","c\nd"\r\n'


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def hostile_student(people, enroll, basics_course, attempt_at, quiz, make_user):
    student = make_user(email="evil@example.com", display_name='=cmd|"/c calc"!A1 Zoë')
    enroll(student, basics_course)
    attempt_at(student, quiz, 55, utcnow())
    return student


@pytest.mark.parametrize("path", ["gradebook.csv", "attempts.csv"])
def test_exports_are_utf8_with_a_bom_and_neutralise_formulas(
    client, login, people, hostile_student, path
):
    login(people["instructor"])
    response = client.get(f"/instruct/courses/basics/{path}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"] == f'attachment; filename="basics-{path[:-4]}.csv"'
    )
    rows = read_csv(response)
    names = [row[0] for row in rows[1:]]
    assert names == ["'" + '=cmd|"/c calc"!A1 Zoë']
    assert not any(cell.startswith(gb.FORMULA_STARTS) for row in rows for cell in row)


def test_gradebook_csv_has_the_gradebook_figures(client, login, people, hostile_student):
    login(people["instructor"])
    header, row = read_csv(client.get("/instruct/courses/basics/gradebook.csv"))
    record = dict(zip(header, row, strict=True))
    assert record["E-mail"] == "evil@example.com"
    assert record["Progress %"] == "0"
    assert record["Basics quiz %"] == "55.00"
    assert record["Basics quiz set by hand"] == "no"
    assert record["Enrolled"] == "yes"


def test_gradebook_csv_follows_the_page_filters(client, login, people, hostile_student, make_user):
    login(people["instructor"])
    rows = read_csv(client.get("/instruct/courses/basics/gradebook.csv?status=completed"))
    assert len(rows) == 1  # the header only: nobody completed


def test_attempts_csv_streams_many_rows(client, login, people, basics_course, quiz, monkeypatch):
    """3,000 attempts are read in batches and written while the client reads."""
    from learnapp.instructor import services

    monkeypatch.setattr(services, "STREAM_BATCH", 100)
    now = utcnow()
    users = [
        {
            "email": f"s{n}@example.com",
            "display_name": f"Student {n:04d}",
            "password_hash": "x",
            "role": "student",
        }
        for n in range(1000)
    ]
    db.session.execute(db.insert(User), users)
    ids = db.session.scalars(db.select(User.id).where(User.email.like("s%@example.com"))).all()
    db.session.execute(
        db.insert(Enrollment), [{"user_id": i, "course_id": basics_course.id} for i in ids]
    )
    db.session.execute(
        db.insert(QuizAttempt),
        [
            {
                "user_id": i,
                "quiz_id": quiz.id,
                "number": number,
                "status": SUBMITTED,
                "started_at": now,
                "submitted_at": now,
                "token_nonce": secrets.token_hex(16),
                "score": Decimal(50),
                "max_score": Decimal(100),
                "percent": Decimal(50),
            }
            for i in ids
            for number in (1, 2, 3)
        ],
    )
    db.session.commit()
    login(people["instructor"])
    response = client.get("/instruct/courses/basics/attempts.csv", buffered=False)
    assert response.is_streamed
    chunks = iter(response.response)
    assert next(chunks) == "\ufeff".encode()
    assert next(chunks).startswith(b"Name,E-mail,Quiz")
    rest = b"".join(chunks)
    response.close()
    rows = list(csv.reader(io.StringIO(rest.decode(), newline="")))
    assert len(rows) == 3000
    assert rows[0][:5] == ["Student 0000", "s0@example.com", "basics-quiz", "Basics quiz", "1"]
