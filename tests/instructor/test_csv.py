"""CSV exports: streamed, UTF-8 with a BOM, and safe from formula injection."""

from __future__ import annotations

import csv
import io
import re
import secrets
from decimal import Decimal
from pathlib import Path

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


def test_every_cell_is_quoted():
    """A spreadsheet that splits on ';' (or a tab) must not find a cell inside a name."""
    line = gb.csv_line(["Bob;=cmd|' /C calc'!A0;", "a\tb", 12, Decimal("-5.50"), None])
    assert line == '"Bob;=cmd|\' /C calc\'!A0;","a\tb","12","-5.50",""\r\n'


def test_one_module_writes_csv():
    """Every CSV export goes through ``csv_line`` (quoting and formula prefixes in one place)."""
    import learnapp

    root = Path(learnapp.__file__).parent
    writers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    )
    assert writers == ["instructor/gradebook.py"]


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


@pytest.mark.parametrize("path", ["gradebook.csv", "attempts.csv"])
def test_a_separator_in_a_name_starts_no_cell(
    client, login, people, enroll, basics_course, attempt_at, quiz, make_user, path
):
    """Excel in locales with ';' as list separator split "Bob;=cmd…" into a formula cell."""
    from tests.security.test_xss import formula_cells

    name = "Bob;=cmd|' /C calc'!A0;\t+1"
    student = make_user(email="bob@example.com", display_name=name)
    enroll(student, basics_course)
    attempt_at(student, quiz, 40, utcnow())
    login(people["instructor"])
    response = client.get(f"/instruct/courses/basics/{path}")
    assert [row[0] for row in read_csv(response)[1:]] == [name]
    assert formula_cells(response.get_data(as_text=True)) == []


def test_gradebook_csv_has_the_gradebook_figures(client, login, people, hostile_student):
    login(people["instructor"])
    header, row = read_csv(client.get("/instruct/courses/basics/gradebook.csv"))
    record = dict(zip(header, row, strict=True))
    assert record["E-mail"] == "evil@example.com"
    assert record["Progress %"] == "0"
    assert record["Basics quiz %"] == "55.00"
    assert record["Basics quiz set by hand"] == "no"
    assert record["Enrolled"] == "yes"


GRADEBOOK_ES = [
    "Nombre", "Correo electrónico", "Inscrito", "Progreso %", "Obligatorios hechos",
    "Obligatorios en total", "Basics quiz %", "Basics quiz fijada manualmente", "Completado el",
    "Certificado", "Certificado revocado",
]  # fmt: skip
ATTEMPTS_ES = [
    "Nombre", "Correo electrónico", "Cuestionario", "Título del cuestionario", "Intento",
    "Estado", "Iniciado el", "Plazo límite", "Entregado el", "Cerrado en el plazo límite",
    "Puntuación", "Puntuación máxima", "Porcentaje", "Respuestas por calificar",
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "spanish"), [("gradebook.csv", GRADEBOOK_ES), ("attempts.csv", ATTEMPTS_ES)]
)
def test_csv_headers_are_in_the_instructors_language(
    client, login, people, hostile_student, path, spanish
):
    """Same columns in the same order; only the names change (quiz titles stay as written)."""
    login(people["instructor"])
    english = read_csv(client.get(f"/instruct/courses/basics/{path}"))
    people["instructor"].locale = "es"
    db.session.commit()
    translated = read_csv(
        client.get(f"/instruct/courses/basics/{path}", headers={"Accept-Language": "en"})
    )
    assert translated[0] == spanish
    assert len(english[0]) == len(spanish)
    assert english[0][:2] == ["Name", "E-mail"]
    assert translated[1:] == english[1:]  # the cells are data: unchanged


def test_csv_headers_follow_accept_language_without_a_saved_choice(
    client, login, people, hostile_student
):
    login(people["instructor"])
    response = client.get(
        "/instruct/courses/basics/attempts.csv", headers={"Accept-Language": "es-ES,es;q=0.9"}
    )
    assert read_csv(response)[0] == ATTEMPTS_ES


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
    assert next(chunks).startswith(b'"Name","E-mail","Quiz"')
    rest = b"".join(chunks)
    response.close()
    rows = list(csv.reader(io.StringIO(rest.decode(), newline="")))
    assert len(rows) == 3000
    assert rows[0][:5] == ["Student 0000", "s0@example.com", "basics-quiz", "Basics quiz", "1"]
